//! Quantities on hand over GraphQL: a query and a live subscription.

use async_graphql::{Context, ID, Object, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;

use super::service;
use crate::connections::find_owned;
use crate::entities::inventory_level;
use crate::graphql::{ApiError, ApiResult, app, caller, parse_id};

#[derive(SimpleObject, Clone)]
pub struct InventoryLevel {
    /// The QuickBooks item's full name: the store SKU it matches.
    pub sku: String,
    pub quickbooks_list_id: String,
    /// An exact decimal, as QuickBooks reported it.
    pub quantity_on_hand: String,
    pub updated_at: DateTime<Utc>,
}

impl From<&inventory_level::Model> for InventoryLevel {
    fn from(m: &inventory_level::Model) -> Self {
        Self {
            sku: m.item_full_name.clone(),
            quickbooks_list_id: m.list_id.clone(),
            quantity_on_hand: m.quantity_on_hand.clone(),
            updated_at: m.updated_at,
        }
    }
}

#[derive(Default)]
pub struct InventoryQuery;

#[Object]
impl InventoryQuery {
    /// Quantities on hand read from QuickBooks (when inventory sync is on in step 1).
    async fn inventory_levels(
        &self,
        ctx: &Context<'_>,
        connection_id: ID,
        search: Option<String>,
    ) -> ApiResult<Vec<InventoryLevel>> {
        let id = parse_id(&connection_id, "connection")?;
        let connection = find_owned(&app(ctx).db, &caller(ctx)?, id).await?;
        let search = search.map(|s| s.to_lowercase());
        Ok(service::levels(&app(ctx).db, connection.id)
            .await?
            .iter()
            .filter(|l| search.as_ref().is_none_or(|s| l.item_full_name.to_lowercase().contains(s)))
            .map(InventoryLevel::from)
            .collect())
    }
}

#[derive(Default)]
pub struct InventorySubscription;

#[Subscription]
impl InventorySubscription {
    /// Each quantity on hand that changes, as the Web Connector reads it.
    async fn inventory_updates(
        &self,
        ctx: &Context<'_>,
        connection_id: ID,
    ) -> Result<impl Stream<Item = InventoryLevel> + use<>, ApiError> {
        let app = app(ctx).clone();
        let id = parse_id(&connection_id, "connection")?;
        let connection = find_owned(&app.db, &caller(ctx)?, id).await?;
        let mut receiver = app.inventory_bus.subscribe(connection.id);
        Ok(async_stream::stream! {
            loop {
                match receiver.recv().await {
                    Ok(level) if level.connection_id == connection.id => yield InventoryLevel::from(level.as_ref()),
                    Ok(_) | Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => break,
                }
            }
        })
    }
}
