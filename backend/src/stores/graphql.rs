//! Stores over GraphQL.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::service::{self, Platform};
use crate::db_enum;
use crate::entities::store;
use crate::graphql::{ApiResult, app, caller, parse_id};
use crate::orders::graphql::WebhookDelivery;

pub struct Store(pub store::Model);

#[Object]
impl Store {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn connection_id(&self) -> ID {
        ID(self.0.connection_id.to_string())
    }
    async fn platform(&self) -> Platform {
        db_enum::from_db(&self.0.platform).unwrap_or(Platform::Custom)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Where the store sends its order webhooks.
    async fn webhook_url(&self, ctx: &Context<'_>) -> String {
        let platform: Platform = db_enum::from_db(&self.0.platform).unwrap_or(Platform::Custom);
        format!("{}/webhooks/{}/{}", app(ctx).config.public_url, platform.webhook_segment(), self.0.id)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Where quantities on hand are pushed (signed like the store's webhooks, with
    /// `X-Ledgerbridge-Hmac-Sha256`); null for nowhere.
    async fn inventory_url(&self) -> Option<&str> {
        self.0.inventory_url.as_deref()
    }
    /// The latest pushes of quantities on hand, newest first.
    async fn inventory_deliveries(&self, ctx: &Context<'_>) -> ApiResult<Vec<InventoryDelivery>> {
        Ok(service::inventory_deliveries(&app(ctx).db, self.0.id)
            .await?
            .into_iter()
            .map(|d| InventoryDelivery {
                id: ID(d.id.to_string()),
                items: d.items,
                status: d.status,
                attempts: d.attempts,
                last_error: d.last_error,
                created_at: d.created_at,
                delivered_at: d.delivered_at,
                next_attempt_at: d.next_attempt_at,
            })
            .collect())
    }
    /// The latest webhook deliveries from the store, newest first, raw as sent (for audit and
    /// support): whether each became an order, was ignored, or could not be read, and why.
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20, validator(minimum = 1, maximum = 100))] first: i32,
    ) -> ApiResult<Vec<WebhookDelivery>> {
        let rows = service::webhook_deliveries(&app(ctx).db, self.0.id, first as u64).await?;
        Ok(rows.into_iter().map(WebhookDelivery::from).collect())
    }
    /// Deliveries stored and answered but not made into orders yet: each is acted on within
    /// moments, so a number that stays above zero means something is wrong (see the log).
    async fn webhooks_waiting(&self, ctx: &Context<'_>) -> ApiResult<i32> {
        Ok(service::webhooks_waiting(&app(ctx).db, self.0.id).await?.try_into().unwrap_or(i32::MAX))
    }
}

/// One push of quantities on hand to a store.
#[derive(SimpleObject)]
pub struct InventoryDelivery {
    pub id: ID,
    /// How many items it carries.
    pub items: i32,
    /// PENDING, DELIVERED or FAILED (after the last attempt).
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub next_attempt_at: DateTime<Utc>,
}

#[derive(SimpleObject)]
pub struct StoreWithSecret {
    pub store: Store,
    /// The webhook signing secret. Store it now: it cannot be shown again.
    pub signing_secret: String,
}

#[derive(InputObject)]
pub struct AddStoreInput {
    pub platform: Platform,
    pub name: String,
    /// The secret the store signs webhooks with (Shopify's app secret, or the secret typed into
    /// WooCommerce); omitted, Ledgerbridge makes one.
    pub signing_secret: Option<String>,
}

#[derive(Default)]
pub struct StoresQuery;

#[Object]
impl StoresQuery {
    async fn stores(&self, ctx: &Context<'_>, connection_id: ID) -> ApiResult<Vec<Store>> {
        let id = parse_id(&connection_id, "connection")?;
        Ok(service::list(&app(ctx).db, &caller(ctx)?, id).await?.into_iter().map(Store).collect())
    }
}

#[derive(Default)]
pub struct StoresMutation;

#[Object]
impl StoresMutation {
    async fn add_store(
        &self,
        ctx: &Context<'_>,
        connection_id: ID,
        input: AddStoreInput,
    ) -> ApiResult<StoreWithSecret> {
        let id = parse_id(&connection_id, "connection")?;
        let (store, signing_secret) =
            service::add(&app(ctx).db, &caller(ctx)?, id, input.platform, &input.name, input.signing_secret.as_deref())
                .await?;
        Ok(StoreWithSecret { store: Store(store), signing_secret })
    }

    async fn rotate_store_secret(&self, ctx: &Context<'_>, id: ID) -> ApiResult<StoreWithSecret> {
        let id = parse_id(&id, "store")?;
        let (store, signing_secret) = service::rotate_secret(&app(ctx).db, &caller(ctx)?, id).await?;
        app(ctx).webhook_stores.forget(store.id);
        Ok(StoreWithSecret { store: Store(store), signing_secret })
    }

    /// Sets where the store receives quantities on hand (https, or http to localhost); null
    /// stops the pushes.
    async fn set_store_inventory_url(&self, ctx: &Context<'_>, id: ID, url: Option<String>) -> ApiResult<Store> {
        let id = parse_id(&id, "store")?;
        Ok(Store(service::set_inventory_url(&app(ctx).db, &caller(ctx)?, id, url.as_deref()).await?))
    }

    async fn remove_store(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Store> {
        let id = parse_id(&id, "store")?;
        let removed = service::remove(&app(ctx).db, &caller(ctx)?, id).await?;
        app(ctx).webhook_stores.forget(removed.id);
        Ok(Store(removed))
    }
}
