//! Sales read from QuickBooks over GraphQL: a query and a live subscription.

use async_graphql::{Context, ID, Json, Object, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;

use super::service;
use crate::connections::find_owned;
use crate::entities::qb_sale;
use crate::graphql::{ApiError, ApiResult, app, caller, parse_id};

#[derive(SimpleObject, Clone)]
pub struct QuickbooksSale {
    pub txn_id: String,
    /// SalesReceipt, Invoice or SalesOrder.
    pub txn_type: String,
    pub ref_number: String,
    pub txn_date: String,
    pub customer: String,
    /// An exact decimal, as QuickBooks reported it.
    pub total: String,
    pub memo: String,
    /// Each line's item, description, quantity and amount.
    pub lines: Json<serde_json::Value>,
    pub read_at: DateTime<Utc>,
}

impl From<&qb_sale::Model> for QuickbooksSale {
    fn from(m: &qb_sale::Model) -> Self {
        Self {
            txn_id: m.txn_id.clone(),
            txn_type: m.txn_type.clone(),
            ref_number: m.ref_number.clone(),
            txn_date: m.txn_date.clone(),
            customer: m.customer.clone(),
            total: m.total.clone(),
            memo: m.memo.clone(),
            lines: Json(m.lines.clone()),
            read_at: m.read_at,
        }
    }
}

#[derive(Default)]
pub struct SalesQuery;

#[Object]
impl SalesQuery {
    /// Sales read from QuickBooks (when the sync direction is "from QuickBooks"), latest first.
    async fn quickbooks_sales(
        &self,
        ctx: &Context<'_>,
        connection_id: ID,
        #[graphql(default = 100, validator(minimum = 1, maximum = 1000))] first: i32,
    ) -> ApiResult<Vec<QuickbooksSale>> {
        let id = parse_id(&connection_id, "connection")?;
        let connection = find_owned(&app(ctx).db, &caller(ctx)?, id).await?;
        Ok(service::list(&app(ctx).db, connection.id, first as u64).await?.iter().map(QuickbooksSale::from).collect())
    }
}

#[derive(Default)]
pub struct SalesSubscription;

#[Subscription]
impl SalesSubscription {
    /// Each sale read from QuickBooks that is new or changed.
    async fn quickbooks_sale_updates(
        &self,
        ctx: &Context<'_>,
        connection_id: ID,
    ) -> Result<impl Stream<Item = QuickbooksSale> + use<>, ApiError> {
        let app = app(ctx).clone();
        let id = parse_id(&connection_id, "connection")?;
        let connection = find_owned(&app.db, &caller(ctx)?, id).await?;
        let mut receiver = app.sales_bus.subscribe(connection.id);
        Ok(async_stream::stream! {
            loop {
                match receiver.recv().await {
                    Ok(sale) if sale.connection_id == connection.id => yield QuickbooksSale::from(sale.as_ref()),
                    Ok(_) | Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => break,
                }
            }
        })
    }
}
