//! Orders over GraphQL: partner import (typed, idempotent, a result per order) and reading.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, ID, InputObject, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::model::{Address, Discount, Order, OrderLine, Refund, RefundLine, ShippingLine, TaxLine};
use super::service::{self, OrderStatus};
use crate::db_enum;
use crate::domain::Money;
use crate::entities::store_order;
use crate::error::{FieldError, ServiceError};
use crate::graphql::{ApiResult, app, caller, parse_id};
use crate::transaction_log::graphql::TransactionLogEntry;
use crate::transaction_log::{LogFilter, service::list_entries};

#[derive(InputObject, Default)]
pub struct AddressInput {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company: Option<String>,
    pub address1: Option<String>,
    pub address2: Option<String>,
    pub city: Option<String>,
    pub county: Option<String>,
    /// State or province code, e.g. NY or ON.
    pub province_code: Option<String>,
    pub zip: Option<String>,
    /// Two-letter country code.
    pub country_code: Option<String>,
    pub phone: Option<String>,
}

impl From<AddressInput> for Address {
    fn from(a: AddressInput) -> Self {
        Address {
            first_name: a.first_name.unwrap_or_default(),
            last_name: a.last_name.unwrap_or_default(),
            company: a.company.unwrap_or_default(),
            address1: a.address1.unwrap_or_default(),
            address2: a.address2.unwrap_or_default(),
            city: a.city.unwrap_or_default(),
            county: a.county.unwrap_or_default(),
            province_code: a.province_code.unwrap_or_default(),
            zip: a.zip.unwrap_or_default(),
            country_code: a.country_code.unwrap_or_default(),
            phone: a.phone.unwrap_or_default(),
        }
    }
}

/// Money and quantities are decimal strings ("19.99", "1.5"): exact, never floats.
#[derive(InputObject)]
pub struct OrderLineInput {
    pub sku: Option<String>,
    pub title: String,
    pub quantity: String,
    pub unit_price: String,
    /// The line's discount, as a positive amount.
    pub discount: Option<String>,
    #[graphql(default = true)]
    pub taxable: bool,
}

#[derive(InputObject)]
pub struct ShippingLineInput {
    pub title: String,
    pub price: String,
    #[graphql(default = false)]
    pub taxable: bool,
}

#[derive(InputObject)]
pub struct DiscountInput {
    pub code: String,
    pub amount: String,
}

#[derive(InputObject)]
pub struct TaxLineInput {
    pub title: String,
    /// 0.08875 for 8.875 %.
    pub rate: String,
    pub amount: String,
    pub jurisdiction: Option<String>,
}

#[derive(InputObject)]
pub struct OrderInput {
    /// The store's id for the order: importing the same id again updates it.
    pub external_id: String,
    pub number: String,
    pub placed_at: DateTime<Utc>,
    pub currency: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub billing: Option<AddressInput>,
    pub shipping: Option<AddressInput>,
    pub lines: Vec<OrderLineInput>,
    #[graphql(default)]
    pub discounts: Vec<DiscountInput>,
    #[graphql(default)]
    pub shipping_lines: Vec<ShippingLineInput>,
    #[graphql(default)]
    pub tax_lines: Vec<TaxLineInput>,
    #[graphql(default = false)]
    pub taxes_included: bool,
    pub payment_gateway: Option<String>,
    pub financial_status: Option<String>,
    pub fulfillment_status: Option<String>,
    /// What the store says the order comes to (before any refund).
    pub total: String,
    /// Refunds given since; each becomes a credit memo. Re-importing adds the new ones.
    #[graphql(default)]
    pub refunds: Vec<RefundInput>,
}

#[derive(InputObject)]
pub struct RefundLineInput {
    pub sku: Option<String>,
    pub title: String,
    pub quantity: String,
    /// What the line refunds before tax.
    pub amount: String,
}

/// Money given back after the sale: its lines, shipping, tax and adjustment add up to it.
#[derive(InputObject)]
pub struct RefundInput {
    /// The store's id for the refund: importing it again changes nothing.
    pub external_id: String,
    pub created_at: DateTime<Utc>,
    pub note: Option<String>,
    #[graphql(default)]
    pub lines: Vec<RefundLineInput>,
    pub shipping: Option<String>,
    pub tax: Option<String>,
    /// Money given back that no line or shipping accounts for.
    pub adjustment: Option<String>,
}

/// Reads decimal text, naming the field on error.
struct Reader<'a> {
    path: String,
    errors: &'a mut Vec<FieldError>,
}

impl Reader<'_> {
    fn money(&mut self, field: &str, text: &str) -> Money {
        Money::parse(text).unwrap_or_else(|err| {
            self.errors.push(FieldError::new(format!("{}.{field}", self.path), err.to_string()));
            Money::ZERO
        })
    }

    fn decimal(&mut self, field: &str, text: &str) -> Decimal {
        text.trim().parse().unwrap_or_else(|_| {
            self.errors.push(FieldError::new(format!("{}.{field}", self.path), format!("`{text}` is not a number")));
            Decimal::ZERO
        })
    }
}

fn to_order(input: OrderInput, path: &str) -> Result<Order, Vec<FieldError>> {
    let mut errors = Vec::new();
    if input.external_id.trim().is_empty() {
        errors.push(FieldError::new(format!("{path}.externalId"), "must not be empty"));
    }
    if input.lines.is_empty() {
        errors.push(FieldError::new(format!("{path}.lines"), "an order needs at least one line"));
    }
    let mut lines = Vec::new();
    for (i, l) in input.lines.into_iter().enumerate() {
        let mut r = Reader { path: format!("{path}.lines.{i}"), errors: &mut errors };
        let quantity = r.decimal("quantity", &l.quantity);
        let unit_price = r.money("unitPrice", &l.unit_price);
        let discount = l.discount.as_deref().map(|d| r.money("discount", d)).unwrap_or_default();
        lines.push(OrderLine {
            sku: l.sku.unwrap_or_default(),
            title: l.title,
            quantity,
            unit_price,
            discount,
            taxable: l.taxable,
            tax_lines: vec![],
        });
    }
    let mut discounts = Vec::new();
    for (i, d) in input.discounts.into_iter().enumerate() {
        let amount = Reader { path: format!("{path}.discounts.{i}"), errors: &mut errors }.money("amount", &d.amount);
        discounts.push(Discount { code: d.code, amount });
    }
    let mut tax_lines = Vec::new();
    for (i, t) in input.tax_lines.into_iter().enumerate() {
        let mut r = Reader { path: format!("{path}.taxLines.{i}"), errors: &mut errors };
        let (rate, amount) = (r.decimal("rate", &t.rate), r.money("amount", &t.amount));
        tax_lines.push(TaxLine { title: t.title, rate, amount, jurisdiction: t.jurisdiction });
    }
    let mut shipping_lines = Vec::new();
    for (i, s) in input.shipping_lines.into_iter().enumerate() {
        let price = Reader { path: format!("{path}.shippingLines.{i}"), errors: &mut errors }.money("price", &s.price);
        // A taxable shipping line is marked by a (zero) tax line, as stores report it.
        let tax = if s.taxable {
            vec![TaxLine { title: "Shipping tax".into(), rate: Decimal::ZERO, amount: Money::ZERO, jurisdiction: None }]
        } else {
            vec![]
        };
        shipping_lines.push(ShippingLine { title: s.title, price, tax_lines: tax });
    }
    let total = Reader { path: path.to_owned(), errors: &mut errors }.money("total", &input.total);
    let mut refunds = Vec::new();
    for (i, refund) in input.refunds.into_iter().enumerate() {
        let refund_path = format!("{path}.refunds.{i}");
        if refund.external_id.trim().is_empty() {
            errors.push(FieldError::new(format!("{refund_path}.externalId"), "must not be empty"));
        }
        let mut lines = Vec::new();
        for (j, l) in refund.lines.into_iter().enumerate() {
            let mut r = Reader { path: format!("{refund_path}.lines.{j}"), errors: &mut errors };
            let (quantity, amount) = (r.decimal("quantity", &l.quantity), r.money("amount", &l.amount));
            lines.push(RefundLine { sku: l.sku.unwrap_or_default(), title: l.title, quantity, amount });
        }
        let mut r = Reader { path: refund_path, errors: &mut errors };
        let mut optional = |field: &str, text: Option<String>| text.map(|t| r.money(field, &t)).unwrap_or_default();
        refunds.push(Refund {
            external_id: refund.external_id.trim().to_owned(),
            created_at: refund.created_at,
            note: refund.note.unwrap_or_default(),
            lines,
            shipping: optional("shipping", refund.shipping),
            tax: optional("tax", refund.tax),
            adjustment: optional("adjustment", refund.adjustment),
        });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Order {
        external_id: input.external_id.trim().to_owned(),
        number: input.number,
        placed_at: input.placed_at,
        currency: input.currency,
        email: input.email.unwrap_or_default(),
        phone: input.phone.unwrap_or_default(),
        billing: input.billing.map(Into::into),
        shipping: input.shipping.map(Into::into),
        lines,
        discounts,
        shipping_lines,
        tax_lines,
        taxes_included: input.taxes_included,
        payment_gateway: input.payment_gateway,
        financial_status: input.financial_status.map(|s| s.to_lowercase()),
        fulfillment_status: input.fulfillment_status.map(|s| s.to_lowercase()),
        total,
        refunds,
    })
}

/// A stored order.
pub struct StoredOrder(pub store_order::Model);

#[Object]
impl StoredOrder {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn store_id(&self) -> ID {
        ID(self.0.store_id.to_string())
    }
    async fn external_id(&self) -> &str {
        &self.0.external_id
    }
    async fn number(&self) -> &str {
        &self.0.order_number
    }
    async fn status(&self) -> OrderStatus {
        db_enum::from_db(&self.0.sync_status).unwrap_or(OrderStatus::Pending)
    }
    /// The order as Ledgerbridge understood it (canonical form).
    async fn details(&self) -> Json<serde_json::Value> {
        Json(self.0.payload.clone())
    }
    /// The QuickBooks transaction, once synced.
    async fn quickbooks_txn_id(&self) -> Option<&str> {
        self.0.qb_txn_id.as_deref()
    }
    async fn quickbooks_txn_type(&self) -> Option<&str> {
        self.0.qb_txn_type.as_deref()
    }
    async fn quickbooks_ref_number(&self) -> Option<&str> {
        self.0.qb_ref_number.as_deref()
    }
    async fn quickbooks_payment_txn_id(&self) -> Option<&str> {
        self.0.qb_payment_txn_id.as_deref()
    }
    /// Sales order + invoice: the invoice that bills the sales order.
    async fn quickbooks_invoice_txn_id(&self) -> Option<&str> {
        self.0.qb_invoice_txn_id.as_deref()
    }
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    /// Why it failed or waits.
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }
    async fn synced_at(&self) -> Option<DateTime<Utc>> {
        self.0.synced_at
    }
    async fn received_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The webhook deliveries that carried this order, raw as the store sent them (for audit).
    async fn deliveries(&self, ctx: &Context<'_>) -> ApiResult<Vec<WebhookDelivery>> {
        Ok(service::deliveries(&app(ctx).db, self.0.id).await?.into_iter().map(WebhookDelivery::from).collect())
    }
    /// The refunds the store reported, each a credit memo in QuickBooks once synced.
    async fn refunds(&self, ctx: &Context<'_>) -> ApiResult<Vec<OrderRefund>> {
        Ok(super::refunds::refunds_of(&app(ctx).db, self.0.id).await?.into_iter().map(OrderRefund::from).collect())
    }
    /// This order's log entries, newest first.
    async fn log(&self, ctx: &Context<'_>) -> ApiResult<Vec<TransactionLogEntry>> {
        let entries = list_entries(&app(ctx).db, self.0.connection_id, &LogFilter::default(), None, 500).await?;
        Ok(entries.iter().filter(|e| e.order_id == Some(self.0.id)).map(TransactionLogEntry::from).collect())
    }
}

/// A refund of an order and where it stands with QuickBooks.
#[derive(SimpleObject)]
pub struct OrderRefund {
    pub id: ID,
    pub external_id: String,
    /// 1 for the order's first refund.
    pub sequence: i32,
    /// What went back to the customer, as a decimal string.
    pub amount: String,
    pub note: String,
    pub refunded_at: Option<DateTime<Utc>>,
    pub status: OrderStatus,
    pub credit_memo_txn_id: Option<String>,
    pub credit_memo_number: Option<String>,
    /// The refund of the money, or the payment applying the credit to the invoice.
    pub money_txn_id: Option<String>,
    pub last_error: Option<String>,
}

impl From<crate::entities::store_refund::Model> for OrderRefund {
    fn from(row: crate::entities::store_refund::Model) -> Self {
        let refund = super::refunds::refund_of(&row).ok();
        Self {
            id: ID(row.id.to_string()),
            external_id: row.external_id,
            sequence: row.sequence,
            amount: refund.as_ref().map(|r| r.total().to_string()).unwrap_or_default(),
            note: refund.as_ref().map(|r| r.note.clone()).unwrap_or_default(),
            refunded_at: refund.map(|r| r.created_at),
            status: db_enum::from_db(&row.sync_status).unwrap_or(OrderStatus::Pending),
            credit_memo_txn_id: row.qb_credit_memo_txn_id,
            credit_memo_number: row.qb_credit_memo_ref,
            money_txn_id: row.qb_money_txn_id,
            last_error: row.last_error,
        }
    }
}

/// One webhook delivery, as received.
#[derive(SimpleObject)]
pub struct WebhookDelivery {
    pub topic: String,
    pub received_at: DateTime<Utc>,
    /// RECEIVED (stored, about to be acted on), ORDER_STORED, REFUND_STORED, ORDER_UNKNOWN
    /// (a refund for an order not received), IGNORED (a topic Ledgerbridge does not act on)
    /// or MALFORMED.
    pub outcome: String,
    /// Why it could not be read, or why acting on it failed (it is then tried again).
    pub error: Option<String>,
    pub raw_body: String,
}

impl From<crate::entities::webhook_event::Model> for WebhookDelivery {
    fn from(row: crate::entities::webhook_event::Model) -> Self {
        Self {
            topic: row.topic,
            received_at: row.received_at,
            outcome: row.outcome,
            error: row.error,
            raw_body: row.raw_body,
        }
    }
}

/// What importing one order did.
#[derive(SimpleObject)]
pub struct ImportResult {
    pub external_id: String,
    /// The stored order; null when the input was refused.
    pub order: Option<StoredOrder>,
    /// True for a new order, false when an earlier import was updated.
    pub created: bool,
    /// Why the order was refused, field by field.
    pub errors: Vec<ImportError>,
}

#[derive(SimpleObject)]
pub struct ImportError {
    pub field: String,
    pub message: String,
}

/// What the next Web Connector run would send for an order.
#[derive(SimpleObject)]
pub struct OrderPreview {
    /// Invoice, SalesReceipt, SalesOrder or Estimate.
    pub transaction_type: String,
    pub customer_name: String,
    pub ref_number: Option<String>,
    /// The exact qbXML (the customer is created only if QuickBooks lacks it).
    pub qbxml: String,
    /// Problems found against the company's lists and QuickBooks' limits; empty when it would go.
    pub problems: Vec<String>,
}

#[derive(Default)]
pub struct OrdersQuery;

#[Object]
impl OrdersQuery {
    /// A connection's orders, newest first.
    async fn orders(
        &self,
        ctx: &Context<'_>,
        connection_id: ID,
        status: Option<OrderStatus>,
        after: Option<String>,
        #[graphql(default = 50, validator(minimum = 1, maximum = 200))] first: i32,
    ) -> ApiResult<Connection<String, StoredOrder, EmptyFields, EmptyFields>> {
        let id = parse_id(&connection_id, "connection")?;
        let before = match after {
            Some(cursor) => Some(
                uuid::Uuid::parse_str(&cursor)
                    .map_err(|_| ServiceError::invalid("after", "not a cursor returned by orders"))?,
            ),
            None => None,
        };
        let limit = first as usize;
        let mut rows = service::list(&app(ctx).db, &caller(ctx)?, id, status, before, limit as u64 + 1).await?;
        let has_next = rows.len() > limit;
        rows.truncate(limit);
        let mut page = Connection::new(before.is_some(), has_next);
        page.edges.extend(rows.into_iter().map(|row| Edge::new(row.id.to_string(), StoredOrder(row))));
        Ok(page)
    }

    async fn order(&self, ctx: &Context<'_>, id: ID) -> ApiResult<StoredOrder> {
        let id = parse_id(&id, "order")?;
        Ok(StoredOrder(service::find_owned_order(&app(ctx).db, &caller(ctx)?, id).await?))
    }

    /// The dashboard's numbers: orders synced and failed per day over the last `days` days
    /// (14 unless asked), and each store's orders by status.
    async fn order_stats(
        &self,
        ctx: &Context<'_>,
        connection_id: ID,
        #[graphql(default = 14, validator(minimum = 1, maximum = 366))] days: i32,
    ) -> ApiResult<service::OrderStats> {
        let id = parse_id(&connection_id, "connection")?;
        Ok(service::stats(&app(ctx).db, &caller(ctx)?, id, days as u32).await?)
    }

    /// Store SKUs no QuickBooks item matches, with how many parked orders wait for each.
    async fn unmatched_skus(
        &self,
        ctx: &Context<'_>,
        connection_id: ID,
    ) -> ApiResult<Vec<crate::web_connector::order_sync::UnmatchedSku>> {
        let app = app(ctx);
        let id = parse_id(&connection_id, "connection")?;
        let connection = crate::connections::find_owned(&app.db, &caller(ctx)?, id).await?;
        Ok(crate::web_connector::order_sync::unmatched_skus(&app.db, &connection).await?)
    }

    /// The exact qbXML the next run would send for an order, and the problems found before sending.
    async fn preview_order(&self, ctx: &Context<'_>, id: ID) -> ApiResult<OrderPreview> {
        let app = app(ctx);
        let id = parse_id(&id, "order")?;
        let caller = caller(ctx)?;
        let row = service::find_owned_order(&app.db, &caller, id).await?;
        let connection = crate::connections::find_owned(&app.db, &caller, row.connection_id).await?;
        let preview = crate::web_connector::order_sync::preview(&app.db, &connection, &row).await?;
        Ok(OrderPreview {
            transaction_type: preview.transaction_type.to_owned(),
            customer_name: preview.customer_name,
            ref_number: preview.ref_number,
            qbxml: preview.qbxml,
            problems: preview.problems,
        })
    }
}

#[derive(Default)]
pub struct OrdersMutation;

#[Object]
impl OrdersMutation {
    /// Queues a failed, parked, skipped or filtered order again for the next Web Connector run.
    async fn retry_order(&self, ctx: &Context<'_>, id: ID) -> ApiResult<StoredOrder> {
        let app = app(ctx);
        let id = parse_id(&id, "order")?;
        Ok(StoredOrder(service::retry(&app.db, &app.log_bus, &caller(ctx)?, id).await?))
    }

    /// Deletes a synced order's transactions from QuickBooks on the next Web Connector run.
    async fn undo_order(&self, ctx: &Context<'_>, id: ID) -> ApiResult<StoredOrder> {
        let app = app(ctx);
        let id = parse_id(&id, "order")?;
        Ok(StoredOrder(service::undo(&app.db, &app.log_bus, &caller(ctx)?, id).await?))
    }

    /// Maps a store SKU to a QuickBooks item (by its full name, or its own name when unique);
    /// parked orders are queued again. Answers the item's full name.
    async fn map_sku(&self, ctx: &Context<'_>, connection_id: ID, sku: String, item: String) -> ApiResult<String> {
        let app = app(ctx);
        let id = parse_id(&connection_id, "connection")?;
        Ok(service::map_sku(&app.db, &app.log_bus, &caller(ctx)?, id, &sku, &item).await?.item_full_name)
    }

    /// Sync Now: the connection's orders not yet in QuickBooks, placed from `from` to `to` or
    /// with these numbers, wait for the next Web Connector run. Answers how many.
    async fn sync_now(
        &self,
        ctx: &Context<'_>,
        connection_id: ID,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        order_numbers: Option<Vec<String>>,
    ) -> ApiResult<i32> {
        let app = app(ctx);
        let id = parse_id(&connection_id, "connection")?;
        let filter = service::SyncNowFilter { from, to, order_numbers: order_numbers.unwrap_or_default() };
        let queued = service::sync_now(&app.db, &app.log_bus, &caller(ctx)?, id, filter).await?;
        Ok(i32::try_from(queued).unwrap_or(i32::MAX))
    }

    /// Leaves an order out of syncing (until it is retried).
    async fn skip_order(&self, ctx: &Context<'_>, id: ID) -> ApiResult<StoredOrder> {
        let app = app(ctx);
        let id = parse_id(&id, "order")?;
        Ok(StoredOrder(service::skip(&app.db, &app.log_bus, &caller(ctx)?, id).await?))
    }

    /// Imports orders into a store, for partners scripting over GraphQL. Each order gets its own
    /// result; importing an external id again updates that order, never duplicates it.
    async fn import_orders(
        &self,
        ctx: &Context<'_>,
        store_id: ID,
        orders: Vec<OrderInput>,
    ) -> ApiResult<Vec<ImportResult>> {
        let app = app(ctx);
        let caller = caller(ctx)?;
        let store_id = parse_id(&store_id, "store")?;
        let mut parsed = Vec::new();
        let mut results: Vec<Option<ImportResult>> = Vec::new();
        for (i, input) in orders.into_iter().enumerate() {
            let external_id = input.external_id.clone();
            match to_order(input, &format!("orders.{i}")) {
                Ok(order) => {
                    parsed.push(order);
                    results.push(None);
                }
                Err(errors) => results.push(Some(ImportResult {
                    external_id,
                    order: None,
                    created: false,
                    errors: errors.into_iter().map(|e| ImportError { field: e.field, message: e.message }).collect(),
                })),
            }
        }
        let mut outcomes = service::import(&app.db, &app.log_bus, &caller, store_id, parsed).await?.into_iter();
        let mut out = Vec::with_capacity(results.len());
        for slot in results {
            out.push(match slot {
                Some(refused) => refused,
                None => match outcomes.next() {
                    Some(Ok(outcome)) => ImportResult {
                        external_id: outcome.order.external_id.clone(),
                        created: outcome.created,
                        order: Some(StoredOrder(outcome.order)),
                        errors: vec![],
                    },
                    Some(Err(err)) => {
                        tracing::error!(error = ?err, "an order could not be stored");
                        ImportResult {
                            external_id: String::new(),
                            order: None,
                            created: false,
                            errors: vec![ImportError {
                                field: "orders".into(),
                                message: "the order could not be stored; it has been logged".into(),
                            }],
                        }
                    }
                    None => continue,
                },
            });
        }
        Ok(out)
    }
}
