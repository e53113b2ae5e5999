//! The Web Connector's calls, one function each: authentication, the session's steps and its
//! end. All state lives in the database, so a restarted server or another replica carries on.

use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, Set, sea_query::Expr};
use serde_json::json;
use uuid::Uuid;

use super::explain;
use super::order_sync::{self, SyncContext};
use super::plan::{Effect, Plan};
use super::progress::{ProgressBus, of_session};
use super::refund_sync;
use crate::accounts::password::verify_password_blocking;
use crate::db::Db;
use crate::entities::{qb_connection, store_order, wc_session};
use crate::error::{ServiceError, ServiceResult};
use crate::orders::OrderStatus;
use crate::qbxml::host::{parse_company_profile, same_guid};
use crate::qbxml::lists::LISTS_READ;
use crate::qbxml::{QbxmlResponse, QbxmlVersion};
use crate::quickbooks_lists::ListKind;
use crate::quickbooks_lists::service::{promote_staged, read_status, replace_list, stage_page};
use crate::transaction_log::{LogBus, LogKind, LogLevel, NewLogEntry, record_log_entry};

/// How long a session may sit between two calls before it is over.
const SESSION_IDLE: Duration = Duration::minutes(30);
const MAX_FAILED_LOGINS: i32 = 5;
const LOCKOUT: Duration = Duration::minutes(15);

/// What every Web Connector call works with.
pub struct WcContext<'a, C> {
    /// The pool, or the transaction the call runs in (see [`super::call_unit`]).
    pub db: &'a C,
    pub log: &'a LogBus,
    pub progress: &'a ProgressBus,
    pub inventory: &'a crate::inventory::InventoryBus,
    pub sales: &'a crate::quickbooks_sales::SalesBus,
    pub contexts: &'a super::SyncContexts,
    /// How long a session keeps its company file after its last call.
    pub lease: Duration,
}

/// What `authenticate` answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthOutcome {
    /// Work to do: the session's ticket.
    Work { ticket: String },
    /// Nothing to do; come back in this many seconds.
    NoWork { postpone_seconds: u32 },
    /// Another session for this company file is running.
    Busy,
    /// Wrong user name or password (or locked after too many attempts).
    InvalidUser,
}

fn new_ticket() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    Uuid::from_bytes(bytes).to_string()
}

async fn log(
    db: &impl Db,
    bus: &LogBus,
    connection_id: Uuid,
    level: LogLevel,
    kind: LogKind,
    message: String,
    details: Option<serde_json::Value>,
) -> ServiceResult<()> {
    let mut entry = NewLogEntry::info(connection_id, kind, message);
    entry.level = level;
    entry.details = details;
    record_log_entry(db, bus, entry).await.map(|_| ())
}

/// Whether the lists must be read this session.
async fn lists_needed(db: &impl Db, connection: &qb_connection::Model) -> ServiceResult<bool> {
    if connection.lists_refresh_requested_at.is_some() {
        return Ok(true);
    }
    // A list never read (or whose reading was interrupted) is work.
    let read: Vec<String> = read_status(db, connection.id).await?.into_iter().map(|r| r.kind).collect();
    Ok(LISTS_READ.iter().any(|kind| !read.contains(&crate::db_enum::to_db(kind))))
}

/// The orders to send this session, oldest first: pending, and ready to go. Orders with a
/// problem found before sending are parked here, with the reason in the log.
async fn orders_to_send(db: &impl Db, bus: &LogBus, connection: &qb_connection::Model) -> ServiceResult<Vec<Uuid>> {
    use sea_orm::QueryOrder;
    if connection.setup_completed_at.is_none() {
        return Ok(Vec::new());
    }
    let ctx = SyncContext::load(db, connection).await?;
    if !ctx.sends_orders() {
        return Ok(Vec::new());
    }
    let pending = store_order::Entity::find()
        .filter(store_order::Column::ConnectionId.eq(connection.id))
        .filter(store_order::Column::SyncStatus.eq(crate::db_enum::to_db(&OrderStatus::Pending)))
        .order_by_asc(store_order::Column::Id)
        .all(db)
        .await?;
    let mut ready = Vec::with_capacity(pending.len());
    for order in pending {
        let id = order.id;
        if order_sync::ready(db, bus, &ctx, order).await? {
            ready.push(id);
        }
    }
    Ok(ready)
}

/// For the reads step 1 turns on (inventory, sales from QuickBooks): `Some(since)` when the
/// setting is on, where `since` is the last read less a few minutes of overlap for QuickBooks'
/// clock being behind ours (`None` the first time, to read everything).
async fn read_since(
    db: &impl Db,
    connection: &qb_connection::Model,
    last_read: Option<DateTime<Utc>>,
    turned_on: impl Fn(&crate::wizard::SyncDirectionSettings) -> bool,
) -> ServiceResult<Option<Option<DateTime<Utc>>>> {
    if connection.setup_completed_at.is_none() {
        return Ok(None);
    }
    let settings = crate::wizard::service::load(db, connection).await?.settings;
    let on = settings.sync_direction.as_ref().is_some_and(turned_on);
    Ok(on.then(|| last_read.map(|t| t - Duration::minutes(5))))
}

/// The refunds to send this session: pending, of orders in QuickBooks or about to be sent in
/// this session (their refunds go after them). The others wait for their order.
async fn refunds_to_send(db: &impl Db, connection: &qb_connection::Model, orders: &[Uuid]) -> ServiceResult<Vec<Uuid>> {
    use sea_orm::QueryOrder;
    if connection.setup_completed_at.is_none() {
        return Ok(Vec::new());
    }
    let settings = crate::wizard::service::load(db, connection).await?.settings;
    if settings.sync_direction.as_ref().is_some_and(|d| d.direction != crate::wizard::SyncDirection::ToQuickbooks) {
        return Ok(Vec::new());
    }
    let pending = crate::entities::store_refund::Entity::find()
        .filter(crate::entities::store_refund::Column::ConnectionId.eq(connection.id))
        .filter(crate::entities::store_refund::Column::SyncStatus.eq(crate::db_enum::to_db(&OrderStatus::Pending)))
        .order_by_asc(crate::entities::store_refund::Column::Id)
        .all(db)
        .await?;
    let mut ready = Vec::with_capacity(pending.len());
    for refund in pending {
        let in_quickbooks = orders.contains(&refund.order_id)
            || store_order::Entity::find_by_id(refund.order_id)
                .one(db)
                .await?
                .is_some_and(|o| o.sync_status == crate::db_enum::to_db(&OrderStatus::Synced));
        if in_quickbooks {
            ready.push(refund.id);
        }
    }
    Ok(ready)
}

/// Takes the next pending order from the database when the order queue is in front: queued
/// when it is ready to send, passed over when it is parked, the queue ended when none is left.
/// `known` is the pending order after an order, already read by the caller (`None` inside: no
/// pending order after it); it is used when the queue asks for exactly that.
async fn fill_order_queue(
    db: &impl Db,
    bus: &LogBus,
    ctx: &SyncContext,
    connection_id: Uuid,
    plan: &mut Plan,
    mut known: Option<(Uuid, Option<store_order::Model>)>,
) -> ServiceResult<Option<order_sync::Prepared>> {
    use sea_orm::QueryOrder;
    while let Some(after) = plan.order_queue() {
        let next = match known.take().filter(|(known_after, _)| Some(*known_after) == after) {
            Some((_, next)) => next,
            None => {
                // The whole row: the order is mapped (and parked if it cannot go) straight away.
                let mut next = store_order::Entity::find()
                    .filter(store_order::Column::ConnectionId.eq(connection_id))
                    .filter(store_order::Column::SyncStatus.eq(crate::db_enum::to_db(&OrderStatus::Pending)));
                if let Some(after) = after {
                    next = next.filter(store_order::Column::Id.gt(after));
                }
                next.order_by_asc(store_order::Column::Id).one(db).await?
            }
        };
        match next {
            Some(order) => {
                let id = order.id;
                if let Some(prepared) = order_sync::ready_prepared(db, bus, ctx, order).await? {
                    plan.queue_order(id);
                    return Ok(Some(prepared));
                }
                plan.pass_order(id);
            }
            None => plan.end_order_queue(),
        }
    }
    Ok(None)
}

/// The orders whose QuickBooks transactions are to be deleted (undoOrder, or a repost) or
/// voided, and which of them are reposted: sent again, as changed, once deleted.
async fn orders_to_undo(db: &impl Db, connection: &qb_connection::Model) -> ServiceResult<(Vec<Uuid>, Vec<Uuid>)> {
    use sea_orm::QueryOrder;
    let statuses = OrderStatus::UNDOING.map(|s| crate::db_enum::to_db(&s));
    let rows = store_order::Entity::find()
        .filter(store_order::Column::ConnectionId.eq(connection.id))
        .filter(store_order::Column::SyncStatus.is_in(statuses))
        .order_by_asc(store_order::Column::Id)
        .all(db)
        .await?;
    let reposts = rows
        .iter()
        .filter(|o| o.sync_status == crate::db_enum::to_db(&OrderStatus::RepostRequested))
        .map(|o| o.id)
        .collect();
    Ok((rows.into_iter().map(|o| o.id).collect(), reposts))
}

pub async fn authenticate(ctx: &WcContext<'_, impl Db>, user_name: &str, password: &str) -> ServiceResult<AuthOutcome> {
    let (db, bus, progress, lease) = (ctx.db, ctx.log, ctx.progress, ctx.lease);
    let Some(connection) =
        qb_connection::Entity::find().filter(qb_connection::Column::WcUsername.eq(user_name.trim())).one(db).await?
    else {
        return Ok(AuthOutcome::InvalidUser);
    };
    let now = Utc::now();
    if connection.wc_locked_until.is_some_and(|until| until > now) {
        return Ok(AuthOutcome::InvalidUser);
    }
    let matches = match connection.wc_password_hash.clone() {
        Some(hash) => verify_password_blocking(password.to_owned(), hash).await,
        None => false,
    };
    if !matches {
        let failures = connection.wc_failed_logins + 1;
        let locked = failures >= MAX_FAILED_LOGINS;
        let mut active: qb_connection::ActiveModel = connection.clone().into();
        active.wc_failed_logins = Set(if locked { 0 } else { failures });
        active.wc_locked_until = Set(locked.then_some(now + LOCKOUT));
        active.update(db).await?;
        let message = match (connection.wc_password_hash.is_some(), locked) {
            (false, _) => "The Web Connector tried to log in, but no Web Connector password is set yet: set it on the pairing page".to_owned(),
            (true, false) => format!("The Web Connector's password was wrong (attempt {failures} of {MAX_FAILED_LOGINS})"),
            (true, true) => format!("The Web Connector's password was wrong {MAX_FAILED_LOGINS} times: log-ins are refused for {} minutes", LOCKOUT.num_minutes()),
        };
        log(db, bus, connection.id, LogLevel::Warning, LogKind::WebConnectorLoginFailed, message, None).await?;
        return Ok(AuthOutcome::InvalidUser);
    }
    let mut active: qb_connection::ActiveModel = connection.clone().into();
    active.wc_failed_logins = Set(0);
    active.wc_locked_until = Set(None);
    active.last_contact_at = Set(Some(now));
    let connection = active.update(db).await?;
    let read_lists = lists_needed(db, &connection).await?;
    let mut orders = orders_to_send(db, bus, &connection).await?;
    let (undos, reposts) = orders_to_undo(db, &connection).await?;
    // A reposted order goes again right after its deletion, in the same run.
    orders.extend(reposts);
    let refunds = refunds_to_send(db, &connection, &orders).await?;
    let inventory = read_since(db, &connection, connection.inventory_read_at, |d| d.sync_inventory).await?;
    let sales = read_since(db, &connection, connection.sales_read_at, |d| {
        d.direction == crate::wizard::SyncDirection::FromQuickbooks
    })
    .await?;
    if !read_lists
        && orders.is_empty()
        && undos.is_empty()
        && refunds.is_empty()
        && inventory.is_none()
        && sales.is_none()
    {
        return Ok(AuthOutcome::NoWork { postpone_seconds: (connection.run_every_minutes.max(1) as u32) * 60 });
    }
    // The lease is taken in one conditional update, so two simultaneous log-ins cannot both win.
    let ticket = new_ticket();
    let taken = qb_connection::Entity::update_many()
        .col_expr(qb_connection::Column::WcActiveTicket, Expr::value(ticket.clone()))
        .col_expr(qb_connection::Column::WcActiveUntil, Expr::value(now + lease))
        .filter(qb_connection::Column::Id.eq(connection.id))
        .filter(
            Condition::any()
                .add(qb_connection::Column::WcActiveTicket.is_null())
                .add(qb_connection::Column::WcActiveUntil.lt(now)),
        )
        .exec(db)
        .await?;
    if taken.rows_affected != 1 {
        return Ok(AuthOutcome::Busy);
    }
    let mut plan = Plan::new(read_lists, undos, orders.len(), refunds);
    if let Some(since) = sales {
        plan.read_sales(since);
    }
    if let Some(since) = inventory {
        plan.read_inventory(since);
    }
    let session = wc_session::ActiveModel {
        ticket: Set(ticket.clone()),
        connection_id: Set(connection.id),
        plan: Set(serde_json::to_value(&plan).map_err(ServiceError::internal)?),
        in_flight: Set(None),
        progress: Set(0),
        qbxml_version: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        last_call_at: Set(now),
        expires_at: Set(now + SESSION_IDLE),
        closed_at: Set(None),
        reviewed_at: Set(None),
        revision: Set(0),
    }
    .insert(db)
    .await?;
    progress.publish(of_session(&session, "Reading QuickBooks"));
    log(
        db,
        bus,
        connection.id,
        LogLevel::Info,
        LogKind::WebConnectorSessionStarted,
        match (plan.reads_lists, plan.orders) {
            (true, 0) => "The Web Connector connected: reading the QuickBooks lists".to_owned(),
            (true, n) => format!("The Web Connector connected: reading the QuickBooks lists, then sending {n} orders"),
            (false, 0) => "The Web Connector connected: reading quantities on hand".to_owned(),
            (false, n) => format!("The Web Connector connected: sending {n} orders (and any deletions asked for)"),
        },
        None,
    )
    .await?;
    Ok(AuthOutcome::Work { ticket })
}

/// An open session by ticket, extended for another round; `None` when unknown, closed or expired.
/// The session as this replica's previous call left it is used if it is recent (see
/// [`super::SyncContexts::keep_session`]); the writes that follow check it is still current.
async fn open_session(
    db: &impl Db,
    contexts: &super::SyncContexts,
    lease: Duration,
    ticket: &str,
) -> ServiceResult<Option<OpenSession>> {
    let now = Utc::now();
    // A kept session that looks ended may be one another replica extended: only the
    // database's copy can say a session is over.
    let kept = contexts.take_session(ticket.trim()).filter(|(s, _)| s.closed_at.is_none() && s.expires_at >= now);
    let found = match kept {
        Some(kept) => Some(OpenSession { session: kept.0, connection: kept.1, kept: true }),
        None => wc_session::Entity::find_by_id(ticket.trim().to_owned())
            .find_also_related(qb_connection::Entity)
            .one(db)
            .await?
            .and_then(|(session, connection)| Some(OpenSession { session, connection: connection?, kept: false })),
    };
    let Some(OpenSession { session, mut connection, kept }) = found else {
        return Ok(None);
    };
    if session.closed_at.is_some() || session.expires_at < now {
        return Ok(None);
    }
    // A run makes thousands of calls milliseconds apart, while the lease, the last contact
    // the dashboard shows and the session's idle expiry count in seconds and minutes: they
    // are written once they have aged, not on every call (two writes fewer per call).
    let aged = |at: Option<DateTime<Utc>>| at.is_none_or(|at| now - at >= TOUCH_EVERY);
    let lease_half_gone = connection.wc_active_until.is_none_or(|until| until < now + lease / 2);
    if lease_half_gone || aged(connection.last_contact_at) {
        qb_connection::Entity::update_many()
            .col_expr(qb_connection::Column::WcActiveUntil, Expr::value(now + lease))
            .col_expr(qb_connection::Column::LastContactAt, Expr::value(now))
            .filter(qb_connection::Column::Id.eq(connection.id))
            .filter(qb_connection::Column::WcActiveTicket.eq(session.ticket.clone()))
            .exec(db)
            .await?;
        connection.wc_active_until = Some(now + lease);
        connection.last_contact_at = Some(now);
    }
    if !aged(Some(session.last_call_at)) {
        return Ok(Some(OpenSession { session, connection, kept }));
    }
    let mut active: wc_session::ActiveModel = session.into();
    active.last_call_at = Set(now);
    active.expires_at = Set(now + SESSION_IDLE);
    // Written with its revision checked: from here on the session is known to be current.
    Ok(Some(OpenSession { session: write_session(db, active).await?, connection, kept: false }))
}

/// A session a call works with, and its connection.
struct OpenSession {
    session: wc_session::Model,
    connection: qb_connection::Model,
    /// As this replica's last call left it, not read: a call that answers from it without
    /// writing the session (which would check it is current) must read it first.
    kept: bool,
}

/// The error that makes a call run again from a fresh read of its session.
fn kept_session_out_of_date() -> ServiceError {
    ServiceError::Database(sea_orm::DbErr::RecordNotUpdated)
}

/// Writes a session's changes, raising its revision, if no call wrote it since it was read.
/// Otherwise (another replica answered a call of this session meanwhile, so what this call
/// worked from is out of date) it fails with [`DbErr::RecordNotUpdated`](sea_orm::DbErr), and
/// the call runs again from a fresh read (see `routes`).
async fn write_session(db: &impl Db, mut active: wc_session::ActiveModel) -> ServiceResult<wc_session::Model> {
    let Some(&read) = active.revision.try_as_ref() else {
        return Err(ServiceError::internal(std::io::Error::other("a session written without its revision")));
    };
    active.revision = Set(read + 1);
    let update = wc_session::Entity::update(active).validate()?;
    Ok(update.filter(wc_session::Column::Revision.eq(read)).exec(db).await?)
}

/// How stale a session's last call and a connection's last contact may get during a run.
const TOUCH_EVERY: Duration = Duration::seconds(2);

fn plan_of(session: &wc_session::Model) -> ServiceResult<Plan> {
    <Plan as serde::Deserialize>::deserialize(&session.plan).map_err(ServiceError::internal)
}

const SESSION_GONE: &str = "This Web Connector session has ended or expired. Run the Web Connector again.";

/// Where the Web Connector asks what to send. "" means "nothing; ask getLastError".
pub async fn send_request_xml(
    ctx: &WcContext<'_, impl Db>,
    ticket: &str,
    hcp_response: &str,
    country: &str,
    version: (Option<u16>, Option<u16>),
) -> ServiceResult<String> {
    let (db, bus, lease) = (ctx.db, ctx.log, ctx.lease);
    let (major, minor) = version;
    let Some(OpenSession { session, connection, kept }) = open_session(db, ctx.contexts, lease, ticket).await? else {
        return Ok(String::new());
    };
    let mut version = session.qbxml_version.as_deref().and_then(QbxmlVersion::parse);
    if !hcp_response.trim().is_empty() {
        let profile = match parse_company_profile(hcp_response, &connection.owner_id.to_string()) {
            Ok(profile) => profile,
            Err(err) => {
                let text = format!("QuickBooks' company information could not be read: {err}");
                return session_failed(ctx, session, &connection, text, None).await.map(|()| String::new());
            }
        };
        if let Some(file_id) = &profile.file_id
            && !same_guid(file_id, &connection.file_id.to_string())
        {
            let text = "The company file open in QuickBooks belongs to another Ledgerbridge connection. Open the right \
                        company file, or download this connection's .qwc file again.";
            return session_failed(ctx, session, &connection, text.to_owned(), None).await.map(|()| String::new());
        }
        // QuickBooks lists what it supports; the request processor's own maximum caps it.
        let cap = major.map(|m| QbxmlVersion { major: m, minor: minor.unwrap_or(0) });
        let candidates: Vec<QbxmlVersion> = if profile.supported_versions.is_empty() {
            cap.into_iter().collect()
        } else {
            profile.supported_versions.iter().copied().filter(|v| cap.is_none_or(|c| *v <= c)).collect()
        };
        let negotiated = QbxmlVersion::negotiate(candidates);
        version = Some(negotiated);
        let mut active: qb_connection::ActiveModel = connection.clone().into();
        active.company_name = Set(profile.company_name.clone().or(connection.company_name.clone()));
        let country =
            if country.trim().is_empty() { profile.country.clone() } else { Some(country.trim().to_uppercase()) };
        active.country = Set(country.or(connection.country.clone()));
        active.edition = Set(profile.product_name.clone().or(connection.edition.clone()));
        let versions: Vec<String> = profile.supported_versions.iter().map(ToString::to_string).collect();
        if !versions.is_empty() {
            active.qbxml_versions = Set(Some(versions.join(",")));
        }
        active.update(db).await?;
    }
    let version = version.unwrap_or(QbxmlVersion::BASELINE);
    let mut plan = plan_of(&session)?;
    if session.in_flight.is_some() {
        // The last request's answer never arrived: reading again is safe.
        plan.recover_lost_answer();
    }
    // What orders and refunds are mapped with, loaded once for this call when it sends any.
    let sync_context = if plan.sends_orders_or_refunds() {
        Some(ctx.contexts.get(db, &session.ticket, &connection).await?)
    } else {
        None
    };
    let contexts = ctx.contexts;
    // The order the queue just took, mapped, for its first request.
    let mut in_hand = None;
    // The order whose request this is, as mapped for it, for the answer's call.
    let mut sent = None;
    let request = loop {
        let ctx = sync_context.as_ref();
        match (ctx, plan.order_queue(), plan.front_refund(), plan.front_order()) {
            (Some(ctx), Some(_), _, _) => {
                if let Some(prepared) = fill_order_queue(db, bus, ctx, connection.id, &mut plan, None).await? {
                    in_hand = Some(prepared);
                }
            }
            (Some(ctx), _, Some((refund_id, stage)), _) => {
                match refund_sync::request(db, bus, ctx, refund_id, &stage, version).await? {
                    Some(request) => break request,
                    None => plan.complete_refund_step(None),
                }
            }
            (Some(ctx), _, _, Some((order_id, stage))) => {
                let in_hand = in_hand.take().or_else(|| contexts.take(&session.ticket, order_id));
                match order_sync::request(db, bus, ctx, order_id, &stage, version, in_hand).await? {
                    Some((request, prepared)) => {
                        sent = prepared;
                        break request;
                    }
                    None => plan.skip_order(),
                }
            }
            _ => match plan.next_request(version) {
                Some(request) => break request,
                // Nothing left, as far as a kept session knows: make sure.
                None if kept => return Err(kept_session_out_of_date()),
                None => return Ok(String::new()),
            },
        }
    };
    let mut active: wc_session::ActiveModel = session.into();
    active.plan = Set(serde_json::to_value(&plan).map_err(ServiceError::internal)?);
    active.in_flight = Set(Some(json!({ "sentAt": Utc::now() })));
    active.qbxml_version = Set(Some(version.to_string()));
    let session = write_session(db, active).await?;
    if let Some(sent) = sent {
        contexts.hand_over(&session.ticket, sent);
    }
    // The first call wrote the company's details to the connection: read afresh next time.
    if hcp_response.trim().is_empty() {
        contexts.keep_session(session, connection);
    }
    Ok(request)
}

/// Ends a session on a fatal error: logged with its details, kept for getLastError, and
/// shown to the dashboard's progress subscribers.
async fn session_failed(
    ctx: &WcContext<'_, impl Db>,
    session: wc_session::Model,
    connection: &qb_connection::Model,
    text: String,
    details: Option<serde_json::Value>,
) -> ServiceResult<()> {
    log(ctx.db, ctx.log, connection.id, LogLevel::Error, LogKind::QuickbooksError, text.clone(), details).await?;
    let mut active: wc_session::ActiveModel = session.into();
    active.last_error = Set(Some(text.clone()));
    active.in_flight = Set(None);
    let session = write_session(ctx.db, active).await?;
    ctx.progress.publish(of_session(&session, text));
    Ok(())
}

/// Where QuickBooks' answer arrives. Returns the percent done (100 when finished), or a
/// negative number on a fatal error (the Web Connector then asks getLastError).
pub async fn receive_response_xml(
    ctx: &WcContext<'_, impl Db>,
    ticket: &str,
    response: &str,
    hresult: &str,
    message: &str,
) -> ServiceResult<i32> {
    let (db, bus, progress_bus, lease) = (ctx.db, ctx.log, ctx.progress, ctx.lease);
    let Some(OpenSession { session, connection, kept }) = open_session(db, ctx.contexts, lease, ticket).await? else {
        return Ok(-1);
    };
    if !hresult.is_empty() {
        let explanation = explain::hresult(hresult);
        let text = format!("QuickBooks error {hresult}: {} {}", explanation.summary, explanation.what_to_do);
        let details = json!({ "hresult": hresult, "message": message, "transient": explanation.transient });
        session_failed(ctx, session, &connection, text, Some(details)).await?;
        return Ok(-1);
    }
    if session.in_flight.is_none() {
        if kept {
            // Perhaps another replica sent the request this answers.
            return Err(kept_session_out_of_date());
        }
        // An answer to nothing we sent (a duplicate delivery): ignore it, report where we are.
        return Ok(session.progress);
    }
    let answer = match QbxmlResponse::parse(response) {
        Ok(answer) => answer,
        Err(err) => {
            let text = format!("QuickBooks' answer could not be read ({err}); the next run asks again");
            session_failed(ctx, session, &connection, text, None).await?;
            return Ok(-1);
        }
    };
    let mut plan = plan_of(&session)?;
    let contexts = ctx.contexts;
    // Items made for this answer's order are in the lists from now on.
    let made_items =
        answer.responses.iter().any(|rs| rs.request_id.as_deref().is_some_and(|id| id.starts_with("item-")));
    if let Some((refund_id, stage)) = plan.front_refund() {
        let ctx = contexts.get(db, &session.ticket, &connection).await?;
        let next = refund_sync::apply(db, bus, &ctx, refund_id, &stage, &answer).await?;
        plan.complete_refund_step(next);
        if made_items {
            contexts.forget(&session.ticket);
        }
    } else {
        match plan.front_order() {
            Some((order_id, stage)) => {
                let mut ctx = contexts.get(db, &session.ticket, &connection).await?;
                let mut in_hand = None;
                // A check's order mostly goes on to its post: the next order is read after a
                // post (or an invoice), with the order, in one statement.
                let (row, following) = match stage {
                    order_sync::OrderStage::Undo => (None, None),
                    order_sync::OrderStage::Check => (order_sync::read(db, order_id).await?, None),
                    _ => order_sync::read_with_following(db, connection.id, order_id).await?,
                };
                let sent = contexts.take(&session.ticket, order_id);
                let next = order_sync::apply(db, bus, &ctx, order_id, row, &stage, &answer, sent, &mut in_hand).await?;
                if made_items {
                    contexts.forget(&session.ticket);
                    ctx = contexts.get(db, &session.ticket, &connection).await?;
                }
                plan.complete_order_step(next);
                // The next order is taken now, and orders that need no request (parked
                // meanwhile) are passed over, so the Web Connector is never asked for a request
                // when none is left.
                let read_following = !matches!(stage, order_sync::OrderStage::Undo | order_sync::OrderStage::Check);
                let known = read_following.then_some((order_id, following));
                if let Some(next_order) = fill_order_queue(db, bus, &ctx, connection.id, &mut plan, known).await? {
                    in_hand = Some(next_order);
                }
                // The order whose request comes next, as read here, for sendRequestXML.
                let front = plan.front_order().map(|(id, _)| id);
                if let Some(prepared) = in_hand.filter(|p| Some(p.order_id()) == front) {
                    contexts.hand_over(&session.ticket, prepared);
                }
            }
            None => {
                // Lists, settings read from the company: whatever was kept is out of date.
                contexts.forget(&session.ticket);
                for effect in plan.apply(&answer) {
                    match effect {
                        Effect::InventoryPage(levels) => {
                            let read = levels.len();
                            let changed =
                                crate::inventory::service::store_levels(db, ctx.inventory, connection.id, levels)
                                    .await?
                                    .len();
                            log(
                                db,
                                bus,
                                connection.id,
                                LogLevel::Info,
                                LogKind::InventoryRead,
                                format!("Read {read} quantities on hand from QuickBooks ({changed} changed)"),
                                None,
                            )
                            .await?;
                        }
                        Effect::SalesPage(sales) => {
                            let read = sales.len();
                            let changed =
                                crate::quickbooks_sales::service::store_sales(db, ctx.sales, connection.id, sales)
                                    .await?;
                            if read > 0 {
                                log(
                                    db,
                                    bus,
                                    connection.id,
                                    LogLevel::Info,
                                    LogKind::SalesRead,
                                    format!("Read {read} sales from QuickBooks ({changed} new or changed)"),
                                    None,
                                )
                                .await?;
                            }
                        }
                        Effect::SalesComplete => {
                            let mut active: qb_connection::ActiveModel = connection.clone().into();
                            active.sales_read_at = Set(Some(session.created_at));
                            active.update(db).await?;
                        }
                        Effect::InventoryComplete => {
                            let mut active: qb_connection::ActiveModel = connection.clone().into();
                            active.inventory_read_at = Set(Some(session.created_at));
                            active.update(db).await?;
                        }
                        other => store_effect(db, bus, connection.id, other).await?,
                    }
                }
            }
        }
    }
    let progress = plan.percent().max(session.progress);
    if plan.is_finished() && plan.reads_lists {
        finish_lists(db, &connection, session.created_at).await?;
    }
    let mut active: wc_session::ActiveModel = session.into();
    active.plan = Set(serde_json::to_value(&plan).map_err(ServiceError::internal)?);
    active.in_flight = Set(None);
    active.progress = Set(progress);
    let session = write_session(db, active).await?;
    let doing = if plan.is_finished() {
        "Finished"
    } else if plan.front_order().is_some() {
        "Sending orders to QuickBooks"
    } else if plan.front_refund().is_some() {
        "Sending refunds to QuickBooks"
    } else {
        "Reading QuickBooks"
    };
    progress_bus.publish(of_session(&session, doing));
    contexts.keep_session(session, connection);
    Ok(progress)
}

async fn store_effect(db: &impl Db, bus: &LogBus, connection_id: Uuid, effect: Effect) -> ServiceResult<()> {
    match effect {
        Effect::ReplaceList(kind, entries) => replace_list(db, bus, connection_id, kind, entries).await,
        Effect::ItemPage { first_page, entries } => {
            stage_page(db, connection_id, ListKind::Item, first_page, entries).await
        }
        Effect::ItemsComplete { .. } => promote_staged(db, bus, connection_id, ListKind::Item).await.map(|_| ()),
        // Inventory is stored by the caller, which knows the session.
        Effect::InventoryPage(_) | Effect::InventoryComplete | Effect::SalesPage(_) | Effect::SalesComplete => Ok(()),
        Effect::SalesFailed(kind, status) => {
            let explanation = explain::status_code(status.code);
            let text = format!(
                "QuickBooks did not return its {kind} transactions (code {}: {}){}",
                status.code,
                status.message,
                explanation.map(|e| format!(". {} {}", e.summary, e.what_to_do)).unwrap_or_default()
            );
            log(db, bus, connection_id, LogLevel::Warning, LogKind::QuickbooksError, text, None).await
        }
        Effect::ListFailed(kind, status) => {
            let explanation = explain::status_code(status.code);
            let text = format!(
                "QuickBooks did not return its {} (code {}: {}){}",
                kind.label(),
                status.code,
                status.message,
                explanation.map(|e| format!(". {} {}", e.summary, e.what_to_do)).unwrap_or_default()
            );
            log(db, bus, connection_id, LogLevel::Warning, LogKind::QuickbooksError, text,
                Some(json!({ "statusCode": status.code, "statusSeverity": status.severity, "statusMessage": status.message }))).await
        }
    }
}

/// The lists are read: a refresh asked for before this session began is done.
async fn finish_lists(
    db: &impl Db,
    connection: &qb_connection::Model,
    session_started: DateTime<Utc>,
) -> ServiceResult<()> {
    qb_connection::Entity::update_many()
        .col_expr(qb_connection::Column::ListsRefreshRequestedAt, Expr::value(Option::<DateTime<Utc>>::None))
        .filter(qb_connection::Column::Id.eq(connection.id))
        .filter(qb_connection::Column::ListsRefreshRequestedAt.lte(session_started))
        .exec(db)
        .await?;
    Ok(())
}

/// The Web Connector could not open QuickBooks. Always "done": retrying another company file
/// path is not something Ledgerbridge guesses at.
pub async fn connection_error(
    ctx: &WcContext<'_, impl Db>,
    ticket: &str,
    hresult: &str,
    message: &str,
) -> ServiceResult<String> {
    let (db, lease) = (ctx.db, ctx.lease);
    if let Some(OpenSession { session, connection, .. }) = open_session(db, ctx.contexts, lease, ticket).await? {
        let explanation = explain::hresult(hresult);
        let text = format!(
            "The Web Connector could not open QuickBooks ({hresult}): {} {}",
            explanation.summary, explanation.what_to_do
        );
        session_failed(ctx, session, &connection, text, Some(json!({ "hresult": hresult, "message": message })))
            .await?;
    }
    Ok("done".to_owned())
}

pub async fn get_last_error(db: &impl Db, ticket: &str) -> ServiceResult<String> {
    let session = wc_session::Entity::find_by_id(ticket.trim().to_owned()).one(db).await?;
    Ok(match session {
        None => SESSION_GONE.to_owned(),
        Some(s) if s.closed_at.is_some() || s.expires_at < Utc::now() => SESSION_GONE.to_owned(),
        Some(s) => {
            s.last_error.unwrap_or_else(|| "No error: Ledgerbridge has nothing more to send right now.".to_owned())
        }
    })
}

/// Ends the session and frees the connection for the next one.
pub async fn close_connection(ctx: &WcContext<'_, impl Db>, ticket: &str) -> ServiceResult<String> {
    let (db, bus, progress) = (ctx.db, ctx.log, ctx.progress);
    ctx.contexts.forget(ticket.trim());
    let Some(session) = wc_session::Entity::find_by_id(ticket.trim().to_owned()).one(db).await? else {
        return Ok("OK".to_owned());
    };
    if session.closed_at.is_some() {
        return Ok("OK".to_owned());
    }
    let now = Utc::now();
    qb_connection::Entity::update_many()
        .col_expr(qb_connection::Column::WcActiveTicket, Expr::value(Option::<String>::None))
        .col_expr(qb_connection::Column::WcActiveUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .filter(qb_connection::Column::Id.eq(session.connection_id))
        .filter(qb_connection::Column::WcActiveTicket.eq(session.ticket.clone()))
        .exec(db)
        .await?;
    let plan = plan_of(&session)?;
    let summary = match (&session.last_error, plan.is_finished()) {
        (Some(error), _) => format!("Ledgerbridge: stopped with an error. {error}"),
        (None, true) => match (plan.reads_lists, plan.orders) {
            (true, 0) => "Ledgerbridge: QuickBooks lists read.".to_owned(),
            (true, n) => {
                format!("Ledgerbridge: QuickBooks lists read; {n} orders processed (see the transaction log).")
            }
            (false, 0) => "Ledgerbridge: finished (see the transaction log).".to_owned(),
            (false, n) => format!("Ledgerbridge: {n} orders processed (see the transaction log)."),
        },
        (None, false) => "Ledgerbridge: stopped before finishing; the next run continues.".to_owned(),
    };
    let level = if session.last_error.is_some() { LogLevel::Error } else { LogLevel::Info };
    log(db, bus, session.connection_id, level, LogKind::WebConnectorSessionEnded, summary.clone(), None).await?;
    let mut active: wc_session::ActiveModel = session.into();
    active.closed_at = Set(Some(now));
    let session = write_session(db, active).await?;
    progress.publish(of_session(&session, summary.clone()));
    Ok(summary)
}
