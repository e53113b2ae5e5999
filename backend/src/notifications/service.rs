//! Recording each notification once, finding which are due (digests, outage alerts, records
//! created by a run), and delivering them with retries. Sending never blocks syncing: it runs
//! on its own worker, and a failure is logged and tried again later.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, NaiveTime, Utc};
use chrono_tz::Tz;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::compose::{self, DigestFacts, Email};
use super::mailer::Mailer;
use super::schedule::{DigestWindow, latest_digest, parse_time_of_day};
use crate::accounts::Caller;
use crate::connections::find_owned;
use crate::db_enum;
use crate::entities::{merchant, notification, qb_connection, transaction_log_entry, wc_session, wizard_step};
use crate::error::{ServiceError, ServiceResult};
use crate::transaction_log::{LogBus, LogKind, LogLevel, NewLogEntry, record_log_entry};
use crate::wizard::{NotificationSettings, WizardStepKind};

#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NotificationKind {
    /// The daily transaction-log email.
    DailyDigest,
    /// A Web Connector run created customers or items.
    RecordsCreated,
    /// The Web Connector has not called for three times its schedule.
    WebConnectorOverdue,
    /// It called again after such an outage.
    WebConnectorBack,
    /// Sent with sendTestEmail.
    Test,
}

#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NotificationStatus {
    /// Waiting to be sent (again, after a failure, at `nextAttemptAt`).
    Pending,
    /// Being sent right now.
    Sending,
    Sent,
    /// Given up on after the last attempt.
    Failed,
    /// Email is not configured on this server.
    NotSent,
}

/// Attempts before a message is given up on: with the default minute between the first two,
/// doubling each time, the last is tried about four hours after the first.
pub const MAX_ATTEMPTS: i32 = 9;
/// How long a replica keeps a message it is sending to itself. Leases are on the wall clock,
/// never on the `now` a caller schedules by: a lease says whether its holder may still be
/// sending, which only real time can tell (the SMTP timeout, 30 s a step, is well inside it).
const SEND_LEASE: Duration = Duration::from_secs(120);
/// When the daily email goes when step 7 does not say.
const SEVEN: NaiveTime = NaiveTime::from_hms_opt(7, 0, 0).expect("a valid time");
const NOT_CONFIGURED: &str = "email is not configured on this server (see the README: [smtp] in the config file)";

/// What the notifier needs besides the database.
#[derive(Clone)]
pub struct Notifier {
    pub db: DatabaseConnection,
    pub bus: LogBus,
    pub mailer: Option<Mailer>,
    pub public_url: String,
    /// The wait after a first failure; doubled after each next one.
    pub retry_base: Duration,
}

fn log_url(public_url: &str, connection_id: Uuid) -> String {
    format!("{public_url}/connections/{connection_id}/log")
}

fn email_of(row: &notification::Model) -> Email {
    Email { subject: row.subject.clone(), text: row.body_text.clone(), html: row.body_html.clone() }
}

impl Notifier {
    /// Records a message under `key`; `None` when a message with that key exists already (this
    /// or another replica recorded it first).
    async fn record(
        &self,
        connection_id: Uuid,
        kind: NotificationKind,
        key: String,
        recipients: &str,
        email: Email,
        outage_since: Option<DateTime<Utc>>,
    ) -> ServiceResult<Option<notification::Model>> {
        let now = Utc::now();
        let (status, error) = match self.mailer {
            Some(_) => (NotificationStatus::Pending, None),
            None => (NotificationStatus::NotSent, Some(NOT_CONFIGURED.to_owned())),
        };
        let inserted = notification::ActiveModel {
            id: Set(Uuid::now_v7()),
            connection_id: Set(connection_id),
            kind: Set(db_enum::to_db(&kind)),
            dedupe_key: Set(key),
            recipients: Set(recipients.to_owned()),
            subject: Set(email.subject),
            body_text: Set(email.text),
            body_html: Set(email.html),
            status: Set(db_enum::to_db(&status)),
            attempts: Set(0),
            next_attempt_at: Set(now),
            lease_until: Set(None),
            last_error: Set(error),
            outage_since: Set(outage_since),
            created_at: Set(now),
            sent_at: Set(None),
        }
        .insert(&self.db)
        .await;
        match inserted {
            Ok(row) => Ok(Some(row)),
            Err(err) if matches!(err.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))) => Ok(None),
            Err(err) => Err(err.into()),
        }
    }

    /// Records every notification that has come due: digests, outage alerts and their
    /// recovery notes, and the alerts of Web Connector runs that created records.
    pub async fn record_due(&self, now: DateTime<Utc>) -> ServiceResult<()> {
        let wanted = wanted(&self.db).await?;
        self.review_sessions(now, &wanted).await?;
        if wanted.is_empty() {
            return Ok(());
        }
        let connections = qb_connection::Entity::find()
            .filter(qb_connection::Column::Id.is_in(wanted.keys().copied()))
            .all(&self.db)
            .await?;
        let merchants: HashMap<Uuid, merchant::Model> = merchant::Entity::find()
            .filter(merchant::Column::Id.is_in(connections.iter().map(|c| c.merchant_id)))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|m| (m.id, m))
            .collect();
        for connection in connections {
            let Some(settings) = wanted.get(&connection.id) else { continue };
            let tz: Tz =
                merchants.get(&connection.merchant_id).and_then(|m| m.time_zone.parse().ok()).unwrap_or(Tz::UTC);
            if settings.daily_log_email {
                self.record_digest(now, &connection, settings, tz).await?;
            }
            self.record_outage(now, &connection, settings, tz).await?;
        }
        Ok(())
    }

    async fn record_digest(
        &self,
        now: DateTime<Utc>,
        connection: &qb_connection::Model,
        settings: &NotificationSettings,
        tz: Tz,
    ) -> ServiceResult<()> {
        let at = settings.daily_email_time.as_deref().and_then(parse_time_of_day).unwrap_or(SEVEN);
        let window = latest_digest(now, tz, at);
        // Nothing to report for days before set-up; a digest missed while the server was
        // down is sent late, once (its key is the day's).
        if connection.setup_completed_at.is_none_or(|done| done >= window.due) {
            return Ok(());
        }
        let key = format!("digest:{}:{}", connection.id, window.date);
        let exists = notification::Entity::find()
            .filter(notification::Column::DedupeKey.eq(key.clone()))
            .one(&self.db)
            .await?
            .is_some();
        if exists {
            return Ok(());
        }
        let facts = self.digest_facts(connection, &window, tz).await?;
        self.record(connection.id, NotificationKind::DailyDigest, key, &settings.emails, compose::digest(&facts), None)
            .await
            .map(|_| ())
    }

    async fn digest_facts(
        &self,
        connection: &qb_connection::Model,
        window: &DigestWindow,
        tz: Tz,
    ) -> ServiceResult<DigestFacts> {
        use transaction_log_entry::Column;
        let kinds = [
            LogKind::OrderSynced,
            LogKind::OrderFailed,
            LogKind::OrderParked,
            LogKind::CustomerCreated,
            LogKind::ItemCreated,
        ];
        let rows: Vec<(String, Option<Uuid>, String)> = transaction_log_entry::Entity::find()
            .select_only()
            .columns([Column::Kind, Column::OrderId, Column::Message])
            .filter(Column::ConnectionId.eq(connection.id))
            .filter(Column::CreatedAt.gte(window.from))
            .filter(Column::CreatedAt.lt(window.due))
            .filter(Column::Kind.is_in(kinds.iter().map(db_enum::to_db)))
            .order_by_asc(Column::Id)
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut facts = DigestFacts {
            connection: connection.company_name.clone().unwrap_or_else(|| connection.name.clone()),
            date: window.date.format("%A %-d %B %Y").to_string(),
            span: format!(
                "From {} to {} ({tz})",
                window.from.with_timezone(&tz).format("%a %-d %b %H:%M"),
                window.due.with_timezone(&tz).format("%a %-d %b %H:%M")
            ),
            log_url: log_url(&self.public_url, connection.id),
            ..DigestFacts::default()
        };
        let mut orders: HashMap<String, std::collections::HashSet<Uuid>> = HashMap::new();
        let mut failed_at: HashMap<Uuid, usize> = HashMap::new();
        for (kind_text, order_id, message) in rows {
            let Some(kind) = db_enum::from_db::<LogKind>(&kind_text) else { continue };
            if let Some(id) = order_id {
                orders.entry(kind_text).or_default().insert(id);
            }
            match kind {
                // An order that failed on several runs is one failure: its latest reason.
                LogKind::OrderFailed => match order_id.and_then(|id| failed_at.get(&id).copied()) {
                    Some(at) => facts.failures[at] = message,
                    None => {
                        if let Some(id) = order_id {
                            failed_at.insert(id, facts.failures.len());
                        }
                        facts.failures.push(message);
                    }
                },
                LogKind::CustomerCreated => facts.customers_created.push(message),
                LogKind::ItemCreated => facts.items_created.push(message),
                _ => {}
            }
        }
        let count = |kind: LogKind| orders.get(&db_enum::to_db(&kind)).map_or(0, |ids| ids.len() as u64);
        facts.synced = count(LogKind::OrderSynced);
        facts.failed = count(LogKind::OrderFailed);
        facts.parked = count(LogKind::OrderParked);
        Ok(facts)
    }

    /// One alert per outage (three scheduled runs missed), and one note when it ends.
    async fn record_outage(
        &self,
        now: DateTime<Utc>,
        connection: &qb_connection::Model,
        settings: &NotificationSettings,
        tz: Tz,
    ) -> ServiceResult<()> {
        let Some(last_contact) = connection.last_contact_at else { return Ok(()) };
        let name = connection.company_name.clone().unwrap_or_else(|| connection.name.clone());
        let local = |t: DateTime<Utc>| format!("{} ({tz})", t.with_timezone(&tz).format("%a %-d %b %Y %H:%M"));
        let every = chrono::Duration::minutes(i64::from(Ord::max(connection.run_every_minutes, 1)));
        if now - last_contact > every * 3 {
            let key = format!("overdue:{}:{}", connection.id, last_contact.timestamp());
            let email = compose::overdue(
                &name,
                &local(last_contact),
                connection.run_every_minutes,
                &log_url(&self.public_url, connection.id),
            );
            self.record(
                connection.id,
                NotificationKind::WebConnectorOverdue,
                key,
                &settings.emails,
                email,
                Some(last_contact),
            )
            .await?;
            return Ok(());
        }
        let latest_outage = notification::Entity::find()
            .filter(notification::Column::ConnectionId.eq(connection.id))
            .filter(notification::Column::Kind.eq(db_enum::to_db(&NotificationKind::WebConnectorOverdue)))
            .order_by_desc(notification::Column::CreatedAt)
            .one(&self.db)
            .await?;
        if let Some(since) = latest_outage.and_then(|n| n.outage_since)
            && last_contact > since
        {
            let key = format!("back:{}:{}", connection.id, since.timestamp());
            let email = compose::back(&name, &local(since), &local(last_contact));
            self.record(connection.id, NotificationKind::WebConnectorBack, key, &settings.emails, email, Some(since))
                .await?;
        }
        Ok(())
    }

    /// Looks once at each ended Web Connector session: when it created customers or items
    /// and step 7 asks to hear of it, one email lists them all.
    async fn review_sessions(
        &self,
        now: DateTime<Utc>,
        wanted: &HashMap<Uuid, NotificationSettings>,
    ) -> ServiceResult<()> {
        use wc_session::Column;
        // Sessions from before a restart long ago are not news any more.
        wc_session::Entity::update_many()
            .col_expr(Column::ReviewedAt, Expr::value(Some(now)))
            .filter(Column::ReviewedAt.is_null())
            .filter(Column::LastCallAt.lt(now - chrono::Duration::days(1)))
            .exec(&self.db)
            .await?;
        let ended = wc_session::Entity::find()
            .filter(Column::ReviewedAt.is_null())
            .filter(Condition::any().add(Column::ClosedAt.is_not_null()).add(Column::ExpiresAt.lt(now)))
            .all(&self.db)
            .await?;
        for session in ended {
            let taken = wc_session::Entity::update_many()
                .col_expr(Column::ReviewedAt, Expr::value(Some(now)))
                .filter(Column::Ticket.eq(session.ticket.clone()))
                .filter(Column::ReviewedAt.is_null())
                .exec(&self.db)
                .await?
                .rows_affected;
            let Some(settings) = wanted.get(&session.connection_id) else { continue };
            if taken == 0 || !(settings.notify_customer_created || settings.notify_item_created) {
                continue;
            }
            let ended_at = session.closed_at.unwrap_or(session.last_call_at);
            let created: Vec<(String, String)> = transaction_log_entry::Entity::find()
                .select_only()
                .columns([transaction_log_entry::Column::Kind, transaction_log_entry::Column::Message])
                .filter(transaction_log_entry::Column::ConnectionId.eq(session.connection_id))
                .filter(transaction_log_entry::Column::CreatedAt.gte(session.created_at))
                .filter(transaction_log_entry::Column::CreatedAt.lte(ended_at))
                .filter(
                    transaction_log_entry::Column::Kind
                        .is_in([db_enum::to_db(&LogKind::CustomerCreated), db_enum::to_db(&LogKind::ItemCreated)]),
                )
                .order_by_asc(transaction_log_entry::Column::Id)
                .into_tuple()
                .all(&self.db)
                .await?;
            let pick = |kind: LogKind, wanted: bool| -> Vec<String> {
                let kind = db_enum::to_db(&kind);
                created.iter().filter(|(k, _)| wanted && *k == kind).map(|(_, m)| m.clone()).collect()
            };
            let customers = pick(LogKind::CustomerCreated, settings.notify_customer_created);
            let items = pick(LogKind::ItemCreated, settings.notify_item_created);
            if customers.is_empty() && items.is_empty() {
                continue;
            }
            let connection = qb_connection::Entity::find_by_id(session.connection_id).one(&self.db).await?;
            let name = connection.map(|c| c.company_name.unwrap_or(c.name)).unwrap_or_default();
            let email =
                compose::records_created(&name, &customers, &items, &log_url(&self.public_url, session.connection_id));
            let key = format!("created:{}", session.ticket);
            self.record(session.connection_id, NotificationKind::RecordsCreated, key, &settings.emails, email, None)
                .await?;
        }
        Ok(())
    }

    /// Sends what is due; returns how many were sent.
    pub async fn deliver_due(&self, now: DateTime<Utc>) -> ServiceResult<usize> {
        let Some(mailer) = &self.mailer else { return Ok(0) };
        let due = notification::Entity::find()
            .filter(due_condition(now))
            .order_by_asc(notification::Column::NextAttemptAt)
            .limit(20)
            .all(&self.db)
            .await?;
        let mut sent = 0;
        for row in due {
            if self.deliver(mailer, row, now).await?.status == db_enum::to_db(&NotificationStatus::Sent) {
                sent += 1;
            }
        }
        Ok(sent)
    }

    /// Claims one message (so one replica sends it), sends it, and records how it went.
    async fn deliver(
        &self,
        mailer: &Mailer,
        row: notification::Model,
        now: DateTime<Utc>,
    ) -> ServiceResult<notification::Model> {
        use notification::Column;
        let claimed = notification::Entity::update_many()
            .col_expr(Column::Status, Expr::value(db_enum::to_db(&NotificationStatus::Sending)))
            .col_expr(Column::LeaseUntil, Expr::value(Some(Utc::now() + SEND_LEASE)))
            .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
            .filter(Column::Id.eq(row.id))
            .filter(due_condition(now))
            .exec(&self.db)
            .await?
            .rows_affected;
        if claimed == 0 {
            return Ok(row);
        }
        let attempts = row.attempts + 1;
        let result = mailer.send(&row.recipients, &email_of(&row)).await;
        let mut active: notification::ActiveModel = row.clone().into();
        active.attempts = Set(attempts);
        active.lease_until = Set(None);
        let (level, kind, message) = match &result {
            Ok(()) => {
                active.status = Set(db_enum::to_db(&NotificationStatus::Sent));
                active.sent_at = Set(Some(Utc::now()));
                active.last_error = Set(None);
                (
                    LogLevel::Info,
                    LogKind::NotificationSent,
                    format!("Email \"{}\" sent to {}", row.subject, row.recipients),
                )
            }
            Err(err) => {
                let gave_up = attempts >= MAX_ATTEMPTS;
                let wait = self.retry_base * 2u32.saturating_pow((attempts - 1).clamp(0, 16) as u32);
                active.status = Set(db_enum::to_db(if gave_up {
                    &NotificationStatus::Failed
                } else {
                    &NotificationStatus::Pending
                }));
                active.next_attempt_at = Set(Utc::now() + wait);
                active.last_error = Set(Some(err.to_string()));
                let then = if gave_up {
                    "given up after the last attempt".to_owned()
                } else {
                    format!("tried again in {} s", wait.as_secs())
                };
                (
                    LogLevel::Warning,
                    LogKind::NotificationFailed,
                    format!("Email \"{}\" to {} could not be sent ({err}): {then}", row.subject, row.recipients),
                )
            }
        };
        let updated = active.update(&self.db).await?;
        let mut entry = NewLogEntry::info(row.connection_id, kind, message);
        entry.level = level;
        record_log_entry(&self.db, &self.bus, entry).await?;
        Ok(updated)
    }

    /// Sends a test message to the step-7 recipients now, and returns it with how it went.
    pub async fn send_test(&self, caller: &Caller, connection_id: Uuid) -> ServiceResult<notification::Model> {
        let connection = find_owned(&self.db, caller, connection_id).await?;
        let settings = crate::wizard::service::settings_of(&self.db, connection.id).await?;
        let recipients = settings.notifications.map(|n| n.emails).unwrap_or_default();
        if recipients.trim().is_empty() {
            return Err(ServiceError::invalid(
                "connectionId",
                "no recipients yet: save email addresses in the Notifications step first",
            ));
        }
        let name = connection.company_name.clone().unwrap_or_else(|| connection.name.clone());
        let email = compose::test(&name, &log_url(&self.public_url, connection.id));
        let key = format!("test:{}", Uuid::now_v7());
        let row = self
            .record(connection.id, NotificationKind::Test, key, &recipients, email, None)
            .await?
            .ok_or_else(|| ServiceError::Conflict("the test email was recorded twice".to_owned()))?;
        match &self.mailer {
            Some(mailer) => self.deliver(mailer, row, Utc::now()).await,
            None => Ok(row),
        }
    }
}

/// Waiting messages whose time has come by `now`, and messages whose sender's lease ran out
/// (it crashed or lost its database mid-send) by the wall clock.
fn due_condition(now: DateTime<Utc>) -> Condition {
    use notification::Column;
    Condition::any()
        .add(
            Condition::all()
                .add(Column::Status.eq(db_enum::to_db(&NotificationStatus::Pending)))
                .add(Column::NextAttemptAt.lte(now)),
        )
        .add(
            Condition::all()
                .add(Column::Status.eq(db_enum::to_db(&NotificationStatus::Sending)))
                .add(Column::LeaseUntil.lt(Utc::now())),
        )
}

/// The connections whose step 7 names recipients, with those settings.
async fn wanted(db: &DatabaseConnection) -> ServiceResult<HashMap<Uuid, NotificationSettings>> {
    Ok(wizard_step::Entity::find()
        .filter(wizard_step::Column::Step.eq(db_enum::to_db(&WizardStepKind::Notifications)))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|row| {
            let settings: NotificationSettings = serde_json::from_value(row.data).ok()?;
            (!settings.emails.trim().is_empty()).then_some((row.connection_id, settings))
        })
        .collect())
}

/// A connection's notifications, newest first, `limit` of them before the cursor (an id).
pub async fn history(
    db: &DatabaseConnection,
    caller: &Caller,
    connection_id: Uuid,
    before: Option<Uuid>,
    limit: u64,
) -> ServiceResult<Vec<notification::Model>> {
    let connection = find_owned(db, caller, connection_id).await?;
    let mut query = notification::Entity::find().filter(notification::Column::ConnectionId.eq(connection.id));
    if let Some(before) = before {
        query = query.filter(notification::Column::Id.lt(before));
    }
    Ok(query.order_by_desc(notification::Column::Id).limit(limit).all(db).await?)
}
