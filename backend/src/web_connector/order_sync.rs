//! Sending one order to QuickBooks in two round trips, never twice:
//!
//! 1. **Check** — is the transaction already in QuickBooks (by RefNumber, or by date and the
//!    store's number in `Other` when QuickBooks numbers it)? Does the customer exist? A
//!    transaction found is linked, not added again.
//! 2. **Post** — create what is missing (customer, items) and the transaction, with its payment,
//!    in one message set.
//!
//! If Post's answer is lost (the Web Connector died, the server restarted), the order goes back
//! to Check, which finds the transaction when QuickBooks committed it.

use chrono::Utc;
use rust_decimal::Decimal;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::explain;
use crate::db::Db;
use crate::db_enum;
use crate::entities::{qb_connection, store, store_order};
use crate::error::ServiceResult;
use crate::orders::mapping::{DISCOUNT_ITEM, SHIPPING_ITEM};
use crate::orders::service::order_of;
use crate::orders::{MappedOrder, MappingContext, OrderProblem, OrderStatus, map_order};
use crate::qbxml::items::{NewItem, item_add};
use crate::qbxml::transactions::{
    Payment, TxnRef, customer_add, customer_query, receive_payment_add, transaction_add, transaction_delete,
    transaction_query_by_date, transaction_query_by_ref, transaction_void,
};
use crate::qbxml::transactions::{TxnHeader, TxnKind, TxnLine};
use crate::qbxml::{OnError, QbxmlResponse, QbxmlVersion, RequestDocument, RsElement};
use crate::quickbooks_lists::service::{append_entries, entries};
use crate::quickbooks_lists::{ListKind, NewListEntry};
use crate::transaction_log::service::insert_log_entries;
use crate::transaction_log::{LogBus, LogKind, LogLevel, NewLogEntry, record_log_entry};
use crate::wizard::MappingRow;
use crate::wizard::service::{load as load_wizard, mappings};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "camelCase")]
pub enum OrderStage {
    Check,
    Post {
        customer_exists: bool,
        /// The matched customer is not in QuickBooks and the settings say to use the single one.
        #[serde(default)]
        use_single: bool,
    },
    /// Sales order + invoice: the sales order is in QuickBooks; the invoice billing it is next.
    Invoice {
        sales_order_txn_id: String,
    },
    /// undoOrder: delete the order's transactions (payment first) from QuickBooks.
    Undo,
}

/// What every order of a connection is mapped with, loaded once per call.
pub struct SyncContext {
    settings: crate::wizard::Settings,
    country: Option<String>,
    items: Vec<crate::quickbooks_lists::CachedEntry>,
    payment_methods: Vec<crate::quickbooks_lists::CachedEntry>,
    tax_mappings: Vec<MappingRow>,
    stores: Vec<store::Model>,
    sku_mappings: std::collections::HashMap<String, String>,
}

impl SyncContext {
    pub async fn load(db: &impl Db, connection: &qb_connection::Model) -> ServiceResult<Self> {
        use sea_orm::{ColumnTrait, QueryFilter};
        Ok(Self {
            settings: load_wizard(db, connection).await?.settings,
            country: connection.country.clone(),
            items: entries(db, connection.id, ListKind::Item).await?,
            payment_methods: entries(db, connection.id, ListKind::PaymentMethod).await?,
            tax_mappings: mappings(db, connection.id)
                .await?
                .into_iter()
                .map(|m| MappingRow::normalized(&m.country, &m.region, &m.county, &m.city, &m.tax_code))
                .collect(),
            stores: store::Entity::find().filter(store::Column::ConnectionId.eq(connection.id)).all(db).await?,
            sku_mappings: crate::entities::sku_mapping::Entity::find()
                .filter(crate::entities::sku_mapping::Column::ConnectionId.eq(connection.id))
                .all(db)
                .await?
                .into_iter()
                .map(|m| (m.sku_key, m.item_full_name))
                .collect(),
        })
    }
}

impl SyncContext {
    /// What one order of this connection is mapped with.
    pub(super) fn mapping_context<'a>(&'a self, row: &store_order::Model) -> MappingContext<'a> {
        MappingContext {
            settings: &self.settings,
            store_name: self.stores.iter().find(|s| s.id == row.store_id).map_or("", |s| s.name.as_str()),
            country: self.country.as_deref(),
            items: &self.items,
            payment_methods: &self.payment_methods,
            tax_mappings: &self.tax_mappings,
            sku_mappings: &self.sku_mappings,
            order_id: row.id,
        }
    }

    /// Whether the cached item list has an item of this full name.
    pub fn has_item(&self, full_name: &str) -> bool {
        self.items.iter().any(|k| k.full_name.eq_ignore_ascii_case(full_name))
    }

    /// Whether the Sync Direction step sends store orders to QuickBooks.
    pub fn sends_orders(&self) -> bool {
        self.settings.sync_direction.as_ref().is_none_or(|d| d.direction == crate::wizard::SyncDirection::ToQuickbooks)
    }
}

/// Everything an order's requests are built from.
pub struct Prepared {
    row: store_order::Model,
    mapped: MappedOrder,
}

impl Prepared {
    pub fn order_id(&self) -> Uuid {
        self.row.id
    }
}

async fn prepare(db: &impl Db, ctx: &SyncContext, order_id: Uuid) -> ServiceResult<Option<Prepared>> {
    match store_order::Entity::find_by_id(order_id).one(db).await? {
        Some(row) => prepare_row(ctx, row),
        None => Ok(None),
    }
}

/// An order as it is now.
pub async fn read(db: &impl Db, order_id: Uuid) -> ServiceResult<Option<store_order::Model>> {
    Ok(store_order::Entity::find_by_id(order_id).one(db).await?)
}

/// An order as it is now, and the connection's next pending order after it, in one statement:
/// a call that applies QuickBooks' answer to one order usually takes the next one after.
pub async fn read_with_following(
    db: &impl Db,
    connection_id: Uuid,
    order_id: Uuid,
) -> ServiceResult<(Option<store_order::Model>, Option<store_order::Model>)> {
    use sea_orm::ColumnTrait;
    use sea_orm::sea_query::{Asterisk, Order, Query, UnionType};
    let following = Query::select()
        .column(Asterisk)
        .from(store_order::Entity)
        .and_where(store_order::Column::ConnectionId.eq(connection_id))
        .and_where(store_order::Column::SyncStatus.eq(db_enum::to_db(&OrderStatus::Pending)))
        .and_where(store_order::Column::Id.gt(order_id))
        .order_by(store_order::Column::Id, Order::Asc)
        .limit(1)
        .to_owned();
    // Each branch is an index lookup; the second is wrapped so its ORDER BY and LIMIT stay its
    // own (SQLite applies a compound's last ORDER BY to the whole).
    let both = Query::select()
        .column(Asterisk)
        .from(store_order::Entity)
        .and_where(store_order::Column::Id.eq(order_id))
        .union(UnionType::All, Query::select().column(Asterisk).from_subquery(following, "following").to_owned())
        .to_owned();
    let rows = store_order::Entity::find().from_raw_sql(db.get_database_backend().build(&both)).all(db).await?;
    let (mut current, mut next) = (None, None);
    for row in rows {
        if row.id == order_id { current = Some(row) } else { next = Some(row) }
    }
    Ok((current, next))
}

/// An order already read, mapped when it is still pending.
fn prepare_row(ctx: &SyncContext, row: store_order::Model) -> ServiceResult<Option<Prepared>> {
    if row.sync_status != db_enum::to_db(&OrderStatus::Pending) {
        return Ok(None);
    }
    let order = order_of(&row)?;
    let context = ctx.mapping_context(&row);
    let mapped = map_order(&order, &context);
    Ok(Some(Prepared { row, mapped }))
}

/// Whether an order (as just read) can be sent now. An order with a problem found before
/// sending (a SKU to map, a missing tax mapping…) is parked or failed here, with the reason
/// logged.
pub async fn ready(db: &impl Db, bus: &LogBus, ctx: &SyncContext, row: store_order::Model) -> ServiceResult<bool> {
    Ok(ready_prepared(db, bus, ctx, row).await?.is_some())
}

/// [`ready`], answering the mapped order when it can be sent.
pub async fn ready_prepared(
    db: &impl Db,
    bus: &LogBus,
    ctx: &SyncContext,
    row: store_order::Model,
) -> ServiceResult<Option<Prepared>> {
    hold_back_problems(db, bus, prepare_row(ctx, row)?).await
}

/// The order read and mapped when it can be sent now; parked or failed (and `None`) when a
/// problem was found before sending.
async fn prepare_ready(
    db: &impl Db,
    bus: &LogBus,
    ctx: &SyncContext,
    order_id: Uuid,
) -> ServiceResult<Option<Prepared>> {
    hold_back_problems(db, bus, prepare(db, ctx, order_id).await?).await
}

/// Parks or fails a mapped order with a problem found before sending (and answers `None`).
async fn hold_back_problems(db: &impl Db, bus: &LogBus, prepared: Option<Prepared>) -> ServiceResult<Option<Prepared>> {
    let Some(prepared) = prepared else { return Ok(None) };
    let Some(problem) = prepared.mapped.problems.first() else { return Ok(Some(prepared)) };
    let (status, kind, message) = match problem {
        OrderProblem::Parked(m) => (OrderStatus::Parked, LogKind::OrderParked, format!("Order {{number}} waits: {m}")),
        OrderProblem::Failed(m) => (OrderStatus::Failed, LogKind::OrderFailed, format!("Order {{number}} failed: {m}")),
    };
    let Prepared { row, mapped } = prepared;
    let details = (!mapped.unmatched_skus.is_empty()).then(|| json!({ "unmatchedSkus": mapped.unmatched_skus }));
    finish(db, bus, row, status, kind, message, details).await?;
    Ok(None)
}

const DUPLICATE: &str = "duplicate";
const CUSTOMER: &str = "customer";
const TRANSACTION: &str = "transaction";
const PAYMENT: &str = "payment";
const DUPLICATE_INVOICE: &str = "duplicate-invoice";
const INVOICE: &str = "invoice";
const MACRO: &str = "TxnID:order";

/// The request for an order's stage; `None` when the order needs no request (no longer
/// pending, or a problem found before sending, which is recorded here). `in_hand` is the
/// order as the session's previous call read and mapped it, if it was this order.
pub async fn request(
    db: &impl Db,
    bus: &LogBus,
    ctx: &SyncContext,
    order_id: Uuid,
    stage: &OrderStage,
    version: QbxmlVersion,
    in_hand: Option<Prepared>,
) -> ServiceResult<Option<(String, Option<Prepared>)>> {
    if *stage == OrderStage::Undo {
        return Ok(undo_request(db, order_id, version).await?.map(|request| (request, None)));
    }
    let prepared = match in_hand.filter(|p| p.row.id == order_id) {
        Some(prepared) => Some(prepared),
        None => prepare_ready(db, bus, ctx, order_id).await?,
    };
    let Some(prepared) = prepared else { return Ok(None) };
    let mapped = &prepared.mapped;
    let mut document;
    match stage {
        OrderStage::Check => {
            document = RequestDocument::new(version, OnError::ContinueOnError);
            document.push(&match &mapped.header.ref_number {
                Some(reference) => transaction_query_by_ref(mapped.kind, DUPLICATE, reference),
                None => transaction_query_by_date(
                    mapped.kind,
                    DUPLICATE,
                    mapped.header.txn_date.unwrap_or_else(|| Utc::now().date_naive()),
                ),
            });
            if mapped.then_invoice {
                document.push(&match &mapped.header.ref_number {
                    Some(reference) => transaction_query_by_ref(TxnKind::Invoice, DUPLICATE_INVOICE, reference),
                    None => transaction_query_by_date(
                        TxnKind::Invoice,
                        DUPLICATE_INVOICE,
                        mapped.header.txn_date.unwrap_or_else(|| Utc::now().date_naive()),
                    ),
                });
            }
            document.push(&customer_query(CUSTOMER, &mapped.customer.name));
        }
        OrderStage::Invoice { sales_order_txn_id } => {
            document = RequestDocument::new(version, OnError::StopOnError);
            let header = TxnHeader { link_to_txn_id: Some(sales_order_txn_id.clone()), ..mapped.header.clone() };
            document.push(&transaction_add(TxnKind::Invoice, INVOICE, &header, &mapped.lines, None));
        }
        OrderStage::Post { customer_exists, use_single } => {
            document = post_document(mapped, ctx, *customer_exists, *use_single, version);
        }
        OrderStage::Undo => return Ok(None),
    }
    Ok(Some((document.finish(), Some(prepared))))
}

/// The message set that posts an order: what is missing first, then the transaction and its
/// payment. continueOnError: a customer or item that turns out to exist (3100) must not stop
/// the transaction; a real failure shows in the transaction's own answer.
fn post_document(
    mapped: &MappedOrder,
    ctx: &SyncContext,
    customer_exists: bool,
    use_single: bool,
    version: QbxmlVersion,
) -> RequestDocument {
    let mut document = RequestDocument::new(version, OnError::ContinueOnError);
    let single = mapped.customer.fallback_single.as_deref().filter(|_| use_single);
    let (customer, new_customer) = match single {
        // The single customer may or may not exist: adding it answers 3100 when it does,
        // which continueOnError lets pass.
        Some(single) => (single.to_owned(), Some(crate::orders::mapping::named_customer(single))),
        None => {
            (mapped.customer.name.clone(), if customer_exists { None } else { mapped.customer.new_customer.clone() })
        }
    };
    if let Some(new_customer) = &new_customer {
        document.push(&customer_add(CUSTOMER, new_customer));
    }
    let header = TxnHeader { customer: customer.clone(), ..mapped.header.clone() };
    for (index, item) in items_to_create(mapped, ctx).iter().enumerate() {
        document.push(&item_add(&format!("item-{index}"), item));
    }
    document.push(&transaction_add(mapped.kind, TRANSACTION, &header, &mapped.lines, Some(MACRO)));
    if let Some((amount, method)) = &mapped.payment {
        document.push(&receive_payment_add(
            PAYMENT,
            &Payment {
                customer: &customer,
                ar_account: mapped.header.ar_account.as_deref(),
                txn_date: mapped.header.txn_date,
                ref_number: mapped.header.ref_number.as_deref(),
                amount: *amount,
                payment_method: method.as_deref(),
                memo: mapped.header.memo.as_deref(),
                deposit_account: mapped.header.deposit_account.as_deref(),
                invoice: TxnRef::Macro(MACRO),
            },
        ));
    }
    document
}

/// What would be sent for an order, and every problem found before sending.
pub struct Preview {
    pub transaction_type: &'static str,
    pub customer_name: String,
    pub ref_number: Option<String>,
    pub qbxml: String,
    pub problems: Vec<String>,
}

/// The order's qbXML as the next run would post it (creating the customer if QuickBooks lacks
/// it), with the problems found against the cached lists and QuickBooks' limits.
pub async fn preview(
    db: &impl Db,
    connection: &qb_connection::Model,
    row: &store_order::Model,
) -> ServiceResult<Preview> {
    let ctx = SyncContext::load(db, connection).await?;
    let order = order_of(row)?;
    let context = ctx.mapping_context(row);
    let mapped = map_order(&order, &context);
    let mut problems: Vec<String> = mapped
        .problems
        .iter()
        .map(|p| match p {
            OrderProblem::Parked(m) | OrderProblem::Failed(m) => m.clone(),
        })
        .collect();
    let lists = crate::quickbooks_lists::ListSnapshot::load(
        db,
        connection.id,
        &[ListKind::Account, ListKind::Class, ListKind::Terms, ListKind::SalesTaxItem, ListKind::SalesTaxGroup],
    )
    .await?;
    let h = &mapped.header;
    let checks: [(Option<&String>, &[ListKind], &str); 5] = [
        (h.class.as_ref(), &[ListKind::Class], "class"),
        (h.terms.as_ref(), &[ListKind::Terms], "terms"),
        (h.ar_account.as_ref(), &[ListKind::Account], "accounts receivable"),
        (h.deposit_account.as_ref(), &[ListKind::Account], "deposit account"),
        (h.item_sales_tax.as_ref(), &[ListKind::SalesTaxItem, ListKind::SalesTaxGroup], "sales tax item"),
    ];
    for (value, kinds, what) in checks {
        if let Some(value) = value
            && let Err(err) = lists.find(kinds, value, what)
        {
            problems.push(format!("{what}: {}", err.message));
        }
    }
    if mapped.customer.name.is_empty() {
        problems.push("no customer name could be built from the order".to_owned());
    }
    let version = connection
        .qbxml_versions
        .as_deref()
        .map(|v| QbxmlVersion::negotiate(v.split(',').filter_map(QbxmlVersion::parse)))
        .unwrap_or(QbxmlVersion::BASELINE);
    Ok(Preview {
        transaction_type: mapped.kind.name(),
        customer_name: mapped.customer.name.clone(),
        ref_number: mapped.header.ref_number.clone(),
        qbxml: post_document(&mapped, &ctx, false, false, version).finish(),
        problems,
    })
}

/// The other-charge items Ledgerbridge puts on a company (shipping, refunds) that `lines` use and
/// QuickBooks does not have yet, each with its description, posting to the income account.
pub(super) fn missing_other_charges(lines: &[TxnLine], ctx: &SyncContext, wanted: &[(&str, &str)]) -> Vec<NewItem> {
    let Some(accounts) = &ctx.settings.accounts else { return Vec::new() };
    wanted
        .iter()
        .filter(|(name, _)| lines.iter().any(|l| l.item == *name) && !ctx.has_item(name))
        .map(|(name, description)| NewItem::OtherCharge {
            name: (*name).into(),
            description: (*description).into(),
            income_account: accounts.income_account.clone(),
            sales_tax_code: None,
        })
        .collect()
}

/// The items the transaction needs that QuickBooks does not have yet.
fn items_to_create(mapped: &MappedOrder, ctx: &SyncContext) -> Vec<NewItem> {
    let Some(accounts) = &ctx.settings.accounts else { return Vec::new() };
    let income = accounts.income_account.clone();
    let missing = |name: &str| !ctx.has_item(name);
    let mut items: Vec<NewItem> = mapped
        .items_to_create
        .iter()
        .filter(|plan| missing(&plan.name))
        .map(|plan| match (plan.inventory, &accounts.cogs_account, &accounts.asset_account) {
            (true, Some(cogs), Some(asset)) => NewItem::Inventory {
                name: plan.name.clone(),
                description: plan.description.clone(),
                price: Decimal::new(plan.price.cents(), 2),
                income_account: income.clone(),
                cogs_account: cogs.clone(),
                asset_account: asset.clone(),
                sales_tax_code: None,
            },
            _ => NewItem::NonInventory {
                name: plan.name.clone(),
                description: plan.description.clone(),
                price: Decimal::new(plan.price.cents(), 2),
                income_account: income.clone(),
                sales_tax_code: None,
            },
        })
        .collect();
    items.extend(missing_other_charges(&mapped.lines, ctx, &[(SHIPPING_ITEM, "Shipping and handling")]));
    if mapped.lines.iter().any(|l| l.item == DISCOUNT_ITEM) && missing(DISCOUNT_ITEM) {
        let account = accounts.discount_account.clone().unwrap_or(income);
        items.push(NewItem::Discount {
            name: DISCOUNT_ITEM.into(),
            description: "Web store discounts".into(),
            account,
            sales_tax_code: None,
        });
    }
    items
}

/// Applies QuickBooks' answer to an order's stage; returns the next stage, if any. When the
/// next stage is Post, the order as read and mapped here is left in `in_hand` for it.
/// `row` is the order as this call read it (see [`read_with_following`]); `sent` is the order
/// as the request answered was made from, if this replica kept it. While the order is
/// unchanged, that mapping stands in for mapping it again, and it is also the one QuickBooks
/// was asked to act on.
#[allow(clippy::too_many_arguments)]
pub async fn apply(
    db: &impl Db,
    bus: &LogBus,
    ctx: &SyncContext,
    order_id: Uuid,
    row: Option<store_order::Model>,
    stage: &OrderStage,
    answer: &QbxmlResponse,
    sent: Option<Prepared>,
    in_hand: &mut Option<Prepared>,
) -> ServiceResult<Option<OrderStage>> {
    if *stage == OrderStage::Undo {
        return apply_undo(db, bus, order_id, answer).await.map(|()| None);
    }
    let prepared = match (row.filter(|r| r.id == order_id), sent) {
        (Some(row), Some(sent)) if sent.row == row => Some(sent),
        (Some(row), _) => prepare_row(ctx, row)?,
        (None, _) => None,
    };
    let Some(Prepared { row, mapped }) = prepared else { return Ok(None) };
    let kind_name = mapped.kind.name();
    let connection_id = row.connection_id;
    match stage {
        OrderStage::Check => {
            if let Some(existing) =
                answer.by_request_id(DUPLICATE).and_then(|rs| find_existing(rs, &mapped, &row.order_number))
            {
                let (txn_id, reference) = existing;
                if mapped.then_invoice {
                    let invoice = answer
                        .by_request_id(DUPLICATE_INVOICE)
                        .and_then(|rs| find_existing(rs, &mapped, &row.order_number))
                        .map(|(id, _)| id);
                    let mut active: store_order::ActiveModel = row.into();
                    active.qb_txn_id = Set(Some(txn_id.clone()));
                    active.qb_txn_type = Set(Some(kind_name.to_owned()));
                    active.qb_ref_number = Set(reference.clone());
                    let row = active.update(db).await?;
                    let Some(invoice) = invoice else {
                        return Ok(Some(OrderStage::Invoice { sales_order_txn_id: txn_id }));
                    };
                    let mut active: store_order::ActiveModel = row.into();
                    active.qb_invoice_txn_id = Set(Some(invoice));
                    let row = active.update(db).await?;
                    let message = format!(
                        "Order {{number}} is already in QuickBooks as sales order {} with its invoice: linked, not added again",
                        reference.as_deref().unwrap_or(&txn_id)
                    );
                    finish(db, bus, row, OrderStatus::Synced, LogKind::OrderLinked, message, None).await?;
                    return Ok(None);
                }
                let message = format!(
                    "Order {{number}} is already in QuickBooks as {kind_name} {}: linked, not added again",
                    reference.as_deref().unwrap_or(&txn_id)
                );
                let link = |active: &mut store_order::ActiveModel| {
                    active.qb_txn_id = Set(Some(txn_id));
                    active.qb_txn_type = Set(Some(kind_name.to_owned()));
                    active.qb_ref_number = Set(reference);
                };
                finish_with(db, bus, row, link, OrderStatus::Synced, LogKind::OrderLinked, message, None).await?;
                return Ok(None);
            }
            let customer_exists =
                answer.by_request_id(CUSTOMER).is_some_and(|rs| rs.status.code == 0 && rs.rets().next().is_some());
            if !customer_exists && mapped.customer.new_customer.is_none() {
                if mapped.customer.fallback_single.is_some() {
                    *in_hand = Some(Prepared { row, mapped });
                    return Ok(Some(OrderStage::Post { customer_exists: false, use_single: true }));
                }
                let message = format!(
                    "Order {{number}} failed: QuickBooks has no customer named \"{}\" (the Customers step says to fail such orders)",
                    mapped.customer.name
                );
                finish(db, bus, row, OrderStatus::Failed, LogKind::OrderFailed, message, None).await?;
                return Ok(None);
            }
            *in_hand = Some(Prepared { row, mapped });
            Ok(Some(OrderStage::Post { customer_exists, use_single: false }))
        }
        OrderStage::Post { .. } => {
            // What QuickBooks made before the transaction (a customer, items) is logged with
            // the order's outcome, in one statement.
            let mut made = Vec::new();
            for rs in &answer.responses {
                let created = rs.status.code == 0;
                match (rs.request_id.as_deref(), created) {
                    (Some(CUSTOMER), true) => {
                        let mut entry = NewLogEntry::info(
                            connection_id,
                            LogKind::CustomerCreated,
                            format!(
                                "Customer \"{}\" created in QuickBooks for order {}",
                                mapped.customer.name, row.order_number
                            ),
                        );
                        entry.order_id = Some(row.id);
                        entry.order_number = Some(row.order_number.clone());
                        made.push(entry);
                    }
                    (Some(id), true) if id.starts_with("item-") => {
                        if let Some(ret) = rs.rets().next() {
                            let name = ret
                                .child_text("FullName")
                                .or_else(|| ret.child_text("Name"))
                                .unwrap_or_default()
                                .to_owned();
                            let entry = NewListEntry {
                                list_id: ret.child_text("ListID").unwrap_or_default().to_owned(),
                                full_name: name.clone(),
                                parent_full_name: None,
                                subtype: ret
                                    .name
                                    .strip_prefix("Item")
                                    .and_then(|n| n.strip_suffix("Ret"))
                                    .map(String::from),
                                is_active: true,
                                details: None,
                            };
                            append_entries(db, connection_id, ListKind::Item, vec![entry]).await?;
                            let mut log = NewLogEntry::info(
                                connection_id,
                                LogKind::ItemCreated,
                                format!("Item \"{name}\" created in QuickBooks for order {}", row.order_number),
                            );
                            log.order_id = Some(row.id);
                            log.order_number = Some(row.order_number.clone());
                            made.push(log);
                        }
                    }
                    _ => {}
                }
            }
            let Some(txn) = answer.by_request_id(TRANSACTION) else {
                record_log_entries(db, bus, made).await?;
                return transient(db, bus, row, "QuickBooks sent no answer for the transaction".to_owned())
                    .await
                    .map(|_| None);
            };
            if txn.status.code != 0 {
                // The transaction's own failure may come from what was to be created first: a
                // customer whose name a vendor or employee already has (3100, and the transaction
                // then refers to nobody: 3140), or an item that could not be made.
                let customer_taken = answer.by_request_id(CUSTOMER).filter(|rs| rs.status.code == 3100);
                let cause = match customer_taken {
                    Some(customer) if txn.status.code == 3140 => customer,
                    _ => answer
                        .responses
                        .iter()
                        .find(|rs| {
                            rs.status.code != 0
                                && rs.request_id.as_deref() != Some(TRANSACTION)
                                && rs.status.code != 3100
                        })
                        .unwrap_or(txn),
                };
                record_log_entries(db, bus, made).await?;
                return refused(db, bus, row, cause).await.map(|_| None);
            }
            let ret = txn.rets().next();
            let txn_id = ret.and_then(|r| r.child_text("TxnID")).map(String::from);
            let reference = ret.and_then(|r| r.child_text("RefNumber")).map(String::from);
            let payment = answer
                .by_request_id(PAYMENT)
                .filter(|rs| rs.status.code == 0)
                .and_then(|rs| rs.rets().next())
                .and_then(|r| r.child_text("TxnID"))
                .map(String::from);
            if mapped.then_invoice {
                record_log_entries(db, bus, made).await?;
                let Some(sales_order_txn_id) = txn_id.clone() else {
                    return transient(db, bus, row, "QuickBooks did not say which sales order it made".to_owned())
                        .await
                        .map(|_| None);
                };
                let mut active: store_order::ActiveModel = row.into();
                active.qb_txn_id = Set(txn_id);
                active.qb_txn_type = Set(Some(kind_name.to_owned()));
                active.qb_ref_number = Set(reference);
                active.update(db).await?;
                return Ok(Some(OrderStage::Invoice { sales_order_txn_id }));
            }
            let message = format!(
                "Order {{number}} is in QuickBooks as {kind_name} {}{}",
                reference.as_deref().or(txn_id.as_deref()).unwrap_or(""),
                if payment.is_some() { ", with its payment" } else { "" }
            );
            let record = |active: &mut store_order::ActiveModel| {
                active.qb_txn_id = Set(txn_id);
                active.qb_txn_type = Set(Some(kind_name.to_owned()));
                active.qb_ref_number = Set(reference);
                active.qb_payment_txn_id = Set(payment);
            };
            let outcome = Outcome { status: OrderStatus::Synced, kind: LogKind::OrderSynced, message, details: None };
            finish_logged(db, bus, row, record, made, outcome).await?;
            Ok(None)
        }
        OrderStage::Undo => Ok(None),
        OrderStage::Invoice { .. } => {
            let Some(invoice) = answer.by_request_id(INVOICE) else {
                return transient(db, bus, row, "QuickBooks sent no answer for the invoice".to_owned())
                    .await
                    .map(|_| None);
            };
            if invoice.status.code != 0 {
                return refused(db, bus, row, invoice).await.map(|_| None);
            }
            let invoice_id = invoice.rets().next().and_then(|r| r.child_text("TxnID")).map(String::from);
            let message = format!(
                "Order {{number}} is in QuickBooks as sales order {}, billed by invoice {}",
                row.qb_ref_number.as_deref().unwrap_or(""),
                invoice_id.as_deref().unwrap_or("")
            );
            let mut active: store_order::ActiveModel = row.into();
            active.qb_invoice_txn_id = Set(invoice_id);
            let row = active.update(db).await?;
            finish(db, bus, row, OrderStatus::Synced, LogKind::OrderSynced, message, None).await?;
            Ok(None)
        }
    }
}

/// QuickBooks refused a transaction: retried next run when the cause is passing (a lock),
/// failed with the explanation when it is the data.
async fn refused(db: &impl Db, bus: &LogBus, row: store_order::Model, cause: &RsElement) -> ServiceResult<()> {
    let explanation = explain::status_code(cause.status.code);
    let text = format!(
        "QuickBooks refused order {{number}} (code {}: {}){}",
        cause.status.code,
        cause.status.message,
        explanation.as_ref().map(|e| format!(". {} {}", e.summary, e.what_to_do)).unwrap_or_default()
    );
    if explanation.is_some_and(|e| e.transient) {
        return transient(db, bus, row, text).await;
    }
    let details = json!({ "statusCode": cause.status.code, "statusMessage": cause.status.message });
    finish(db, bus, row, OrderStatus::Failed, LogKind::OrderFailed, text, Some(details)).await
}

/// The transaction QuickBooks already has for this order, if any: by RefNumber, or (with
/// QuickBooks numbering) by the store's number written in `Other`.
fn find_existing(rs: &RsElement, mapped: &MappedOrder, order_number: &str) -> Option<(String, Option<String>)> {
    rs.rets().find_map(|ret| {
        let matches = match &mapped.header.ref_number {
            Some(reference) => ret.child_text("RefNumber").is_some_and(|r| r.eq_ignore_ascii_case(reference)),
            None => ret.child_text("Other") == Some(order_number),
        };
        matches.then(|| {
            (ret.child_text("TxnID").unwrap_or_default().to_owned(), ret.child_text("RefNumber").map(String::from))
        })
    })
}

/// Leaves the order pending for the next run, counting the attempt.
async fn transient(db: &impl Db, bus: &LogBus, row: store_order::Model, message: String) -> ServiceResult<()> {
    let text = message.replace("{number}", &row.order_number);
    let mut entry =
        NewLogEntry::info(row.connection_id, LogKind::QuickbooksError, format!("{text} — tried again on the next run"));
    entry.level = LogLevel::Warning;
    entry.order_id = Some(row.id);
    entry.order_number = Some(row.order_number.clone());
    let attempts = row.attempts + 1;
    let mut active: store_order::ActiveModel = row.into();
    active.attempts = Set(attempts);
    active.last_error = Set(Some(text));
    active.updated_at = Set(Utc::now());
    active.update(db).await?;
    record_log_entry(db, bus, entry).await?;
    Ok(())
}

/// Records an order's outcome and logs it. `{number}` in the message becomes the order number.
async fn finish(
    db: &impl Db,
    bus: &LogBus,
    row: store_order::Model,
    status: OrderStatus,
    kind: LogKind,
    message: String,
    details: Option<serde_json::Value>,
) -> ServiceResult<()> {
    finish_with(db, bus, row, |_| {}, status, kind, message, details).await
}

/// [`finish`], writing what `also` sets (QuickBooks' ids of what was made) in the same update.
#[allow(clippy::too_many_arguments)]
async fn finish_with(
    db: &impl Db,
    bus: &LogBus,
    row: store_order::Model,
    also: impl FnOnce(&mut store_order::ActiveModel),
    status: OrderStatus,
    kind: LogKind,
    message: String,
    details: Option<serde_json::Value>,
) -> ServiceResult<()> {
    finish_logged(db, bus, row, also, Vec::new(), Outcome { status, kind, message, details }).await
}

/// An order's outcome as logged: `{number}` in the message becomes the order number.
struct Outcome {
    status: OrderStatus,
    kind: LogKind,
    message: String,
    details: Option<serde_json::Value>,
}

/// [`finish_with`], logging `earlier` entries (what QuickBooks made for the order) before the
/// outcome's, in the same statement.
async fn finish_logged(
    db: &impl Db,
    bus: &LogBus,
    row: store_order::Model,
    also: impl FnOnce(&mut store_order::ActiveModel),
    earlier: Vec<NewLogEntry>,
    outcome: Outcome,
) -> ServiceResult<()> {
    let Outcome { status, kind, message, details } = outcome;
    let text = message.replace("{number}", &row.order_number);
    let level = match status {
        OrderStatus::Synced => LogLevel::Info,
        OrderStatus::Parked => LogLevel::Warning,
        _ => LogLevel::Error,
    };
    let mut entry = NewLogEntry::info(row.connection_id, kind, text.clone());
    entry.level = level;
    entry.order_id = Some(row.id);
    entry.order_number = Some(row.order_number.clone());
    entry.details = details;
    let attempts = row.attempts + 1;
    let mut active: store_order::ActiveModel = row.into();
    also(&mut active);
    active.sync_status = Set(db_enum::to_db(&status));
    active.attempts = Set(attempts);
    active.last_error = Set((status != OrderStatus::Synced).then_some(text));
    active.synced_at = Set((status == OrderStatus::Synced).then(Utc::now));
    active.updated_at = Set(Utc::now());
    active.update(db).await?;
    let mut entries = earlier;
    entries.push(entry);
    record_log_entries(db, bus, entries).await
}

/// Stores entries in one statement and publishes them, in order.
async fn record_log_entries(db: &impl Db, bus: &LogBus, entries: Vec<NewLogEntry>) -> ServiceResult<()> {
    for stored in insert_log_entries(db, entries).await? {
        bus.publish(stored);
    }
    Ok(())
}

/// The deletions undoOrder (or a repost) asked for: the payment, the invoice billing a sales
/// order, then the transaction itself; or, for a void, the payment deleted and the rest voided.
/// One stop-on-error set, so nothing is left half undone silently.
pub async fn undo_request(db: &impl Db, order_id: Uuid, version: QbxmlVersion) -> ServiceResult<Option<String>> {
    let Some(row) = store_order::Entity::find_by_id(order_id).one(db).await? else { return Ok(None) };
    let Some(status) = db_enum::from_db::<OrderStatus>(&row.sync_status).filter(|s| OrderStatus::UNDOING.contains(s))
    else {
        return Ok(None);
    };
    let mut document = RequestDocument::new(version, OnError::StopOnError);
    for target in undo_targets(&row, status) {
        document.push(&match target.void {
            true => transaction_void(target.request_id, &target.txn_type, &target.txn_id),
            false => transaction_delete(target.request_id, &target.txn_type, &target.txn_id),
        });
    }
    Ok((!document.is_empty()).then(|| document.finish()))
}

struct UndoTarget {
    request_id: &'static str,
    txn_type: String,
    txn_id: String,
    /// Voided rather than deleted.
    void: bool,
}

fn undo_targets(row: &store_order::Model, status: OrderStatus) -> Vec<UndoTarget> {
    // QuickBooks voids invoices and sales receipts; payments, sales orders and estimates it
    // can only delete.
    let voids = |txn_type: &str| status == OrderStatus::VoidRequested && matches!(txn_type, "Invoice" | "SalesReceipt");
    let mut targets = Vec::new();
    if let Some(payment) = &row.qb_payment_txn_id {
        targets.push(UndoTarget {
            request_id: "delete-payment",
            txn_type: "ReceivePayment".to_owned(),
            txn_id: payment.clone(),
            void: false,
        });
    }
    if let Some(invoice) = &row.qb_invoice_txn_id {
        targets.push(UndoTarget {
            request_id: "delete-invoice",
            txn_type: "Invoice".to_owned(),
            txn_id: invoice.clone(),
            void: voids("Invoice"),
        });
    }
    if let (Some(kind), Some(txn)) = (&row.qb_txn_type, &row.qb_txn_id) {
        targets.push(UndoTarget {
            request_id: "delete-transaction",
            txn_type: kind.clone(),
            txn_id: txn.clone(),
            void: voids(kind),
        });
    }
    targets
}

/// Records what the deletions did. Gone already (3120) counts as deleted.
pub async fn apply_undo(db: &impl Db, bus: &LogBus, order_id: Uuid, answer: &QbxmlResponse) -> ServiceResult<()> {
    let Some(row) = store_order::Entity::find_by_id(order_id).one(db).await? else { return Ok(()) };
    let Some(status) = db_enum::from_db::<OrderStatus>(&row.sync_status).filter(|s| OrderStatus::UNDOING.contains(s))
    else {
        return Ok(());
    };
    let targets = undo_targets(&row, status);
    // Gone already (3120) counts as deleted; voided already (3130… QuickBooks answers 0) as voided.
    let refused = targets.iter().find_map(|t| match answer.by_request_id(t.request_id) {
        Some(rs) if rs.status.code == 0 || rs.status.code == 3120 => None,
        Some(rs) => Some(rs.clone()),
        None => None,
    });
    let all_answered = targets.iter().all(|t| answer.by_request_id(t.request_id).is_some());
    match refused {
        Some(rs) => {
            let explanation = explain::status_code(rs.status.code);
            let text = format!(
                "QuickBooks did not delete order {} (code {}: {}){}",
                row.order_number,
                rs.status.code,
                rs.status.message,
                explanation.as_ref().map(|e| format!(". {} {}", e.summary, e.what_to_do)).unwrap_or_default()
            );
            if explanation.is_some_and(|e| e.transient) {
                return transient(db, bus, row, text).await;
            }
            // It stays in QuickBooks: the order is synced again, with the reason.
            let mut entry = NewLogEntry::info(row.connection_id, LogKind::OrderFailed, text.clone());
            entry.level = LogLevel::Error;
            entry.order_id = Some(row.id);
            entry.order_number = Some(row.order_number.clone());
            let mut active: store_order::ActiveModel = row.into();
            active.sync_status = Set(db_enum::to_db(&OrderStatus::Synced));
            active.last_error = Set(Some(text));
            active.update(db).await?;
            record_log_entry(db, bus, entry).await?;
            Ok(())
        }
        None if !all_answered => transient(db, bus, row, "QuickBooks did not answer every deletion".to_owned()).await,
        None if status == OrderStatus::VoidRequested => {
            let message = format!(
                "Order {} was voided in QuickBooks: {} {} stays there with zero amounts{}",
                row.order_number,
                row.qb_txn_type.as_deref().unwrap_or("the transaction"),
                row.qb_ref_number.as_deref().unwrap_or(""),
                if row.qb_payment_txn_id.is_some() { ", and its payment was deleted" } else { "" }
            );
            let mut entry = NewLogEntry::info(row.connection_id, LogKind::OrderVoided, message);
            entry.order_id = Some(row.id);
            entry.order_number = Some(row.order_number.clone());
            let mut active: store_order::ActiveModel = row.into();
            active.sync_status = Set(db_enum::to_db(&OrderStatus::Voided));
            active.qb_payment_txn_id = Set(None);
            active.last_error = Set(None);
            active.updated_at = Set(Utc::now());
            active.update(db).await?;
            record_log_entry(db, bus, entry).await?;
            Ok(())
        }
        None => {
            let repost = status == OrderStatus::RepostRequested;
            let message = if repost {
                format!("Order {} was deleted from QuickBooks to be sent again as changed", row.order_number)
            } else {
                format!("Order {} was deleted from QuickBooks (undone); retry it to send it again", row.order_number)
            };
            let mut entry = NewLogEntry::info(row.connection_id, LogKind::OrderUndone, message);
            entry.order_id = Some(row.id);
            entry.order_number = Some(row.order_number.clone());
            let mut active: store_order::ActiveModel = row.into();
            active.sync_status = Set(db_enum::to_db(&if repost { OrderStatus::Pending } else { OrderStatus::Skipped }));
            active.qb_txn_id = Set(None);
            active.qb_payment_txn_id = Set(None);
            active.qb_invoice_txn_id = Set(None);
            active.qb_ref_number = Set(None);
            active.synced_at = Set(None);
            active.last_error = Set(None);
            active.updated_at = Set(Utc::now());
            active.update(db).await?;
            record_log_entry(db, bus, entry).await?;
            Ok(())
        }
    }
}

/// A store SKU no QuickBooks item matches, with the orders waiting for it.
#[derive(Debug, Clone, PartialEq, Eq, async_graphql::SimpleObject)]
pub struct UnmatchedSku {
    pub sku: String,
    /// How many parked orders carry it.
    pub orders: i32,
}

/// The SKUs that keep parked orders waiting, most orders first.
pub async fn unmatched_skus(db: &impl Db, connection: &qb_connection::Model) -> ServiceResult<Vec<UnmatchedSku>> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let ctx = SyncContext::load(db, connection).await?;
    let parked = store_order::Entity::find()
        .filter(store_order::Column::ConnectionId.eq(connection.id))
        .filter(store_order::Column::SyncStatus.eq(db_enum::to_db(&OrderStatus::Parked)))
        .all(db)
        .await?;
    let mut counts: Vec<UnmatchedSku> = Vec::new();
    for row in parked {
        let mapped = map_order(&order_of(&row)?, &ctx.mapping_context(&row));
        for sku in mapped.unmatched_skus {
            match counts.iter_mut().find(|u| u.sku.eq_ignore_ascii_case(&sku)) {
                Some(known) => known.orders += 1,
                None => counts.push(UnmatchedSku { sku, orders: 1 }),
            }
        }
    }
    counts.sort_by(|a, b| b.orders.cmp(&a.orders).then_with(|| a.sku.cmp(&b.sku)));
    Ok(counts)
}
