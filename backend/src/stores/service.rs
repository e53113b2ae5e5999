//! Adding, listing and removing stores.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::accounts::Caller;
use crate::accounts::tokens::random_token;
use crate::connections::find_owned;
use crate::db_enum;
use crate::entities::store;
use crate::error::{ServiceError, ServiceResult};

#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Platform {
    Shopify,
    Woocommerce,
    /// A store of the merchant's own, sending orders through the API.
    Custom,
}

impl Platform {
    /// The path segment of the store's webhook address.
    pub fn webhook_segment(self) -> &'static str {
        match self {
            Platform::Shopify => "shopify",
            Platform::Woocommerce => "woocommerce",
            Platform::Custom => "custom",
        }
    }
}

/// The one place a store id from outside becomes a store: only through a connection of the caller.
pub async fn find_owned_store(db: &DatabaseConnection, caller: &Caller, id: Uuid) -> ServiceResult<store::Model> {
    let store = store::Entity::find_by_id(id).one(db).await?.ok_or(ServiceError::NotFound("store"))?;
    find_owned(db, caller, store.connection_id).await.map_err(|_| ServiceError::NotFound("store"))?;
    Ok(store)
}

/// Adds a store; the signing secret is returned here and never shown again.
pub async fn add(
    db: &DatabaseConnection,
    caller: &Caller,
    connection_id: Uuid,
    platform: Platform,
    name: &str,
    signing_secret: Option<&str>,
) -> ServiceResult<(store::Model, String)> {
    let connection = find_owned(db, caller, connection_id).await?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ServiceError::invalid("input.name", "give the store a name of 1 to 100 characters"));
    }
    let secret = match signing_secret.map(str::trim) {
        Some(given) if given.len() >= 8 => given.to_owned(),
        Some(_) => {
            return Err(ServiceError::invalid("input.signingSecret", "a signing secret has at least 8 characters"));
        }
        None => random_token("lbs_"),
    };
    let model = store::ActiveModel {
        id: Set(Uuid::now_v7()),
        connection_id: Set(connection.id),
        platform: Set(db_enum::to_db(&platform)),
        name: Set(name.to_owned()),
        created_at: Set(Utc::now()),
        webhook_secret: Set(secret.clone()),
        inventory_url: Set(None),
    }
    .insert(db)
    .await?;
    Ok((model, secret))
}

pub async fn list(db: &DatabaseConnection, caller: &Caller, connection_id: Uuid) -> ServiceResult<Vec<store::Model>> {
    let connection = find_owned(db, caller, connection_id).await?;
    Ok(store::Entity::find()
        .filter(store::Column::ConnectionId.eq(connection.id))
        .order_by_asc(store::Column::CreatedAt)
        .all(db)
        .await?)
}

pub async fn remove(db: &DatabaseConnection, caller: &Caller, id: Uuid) -> ServiceResult<store::Model> {
    let store = find_owned_store(db, caller, id).await?;
    // The intake worker may be making this store's orders right now: its transaction holds
    // the deliveries it took and then needs the store row (the orders refer to it), while the
    // removal locks the store row and then its deliveries. PostgreSQL ends such a deadlock by
    // failing one side; when that is the removal, it is tried again once the worker is done.
    let mut attempt = 1;
    loop {
        match store::Entity::delete_by_id(store.id).exec(db).await {
            Ok(_) => return Ok(store),
            Err(err) if attempt < 5 && crate::db::is_deadlock(&err) => {
                tracing::info!(store = %store.id, attempt, "removing a store met the intake worker; trying again");
                tokio::time::sleep(std::time::Duration::from_millis(50 * attempt)).await;
                attempt += 1;
            }
            Err(err) => return Err(err.into()),
        }
    }
}

pub async fn rotate_secret(
    db: &DatabaseConnection,
    caller: &Caller,
    id: Uuid,
) -> ServiceResult<(store::Model, String)> {
    let store = find_owned_store(db, caller, id).await?;
    let secret = random_token("lbs_");
    let mut active: store::ActiveModel = store.into();
    active.webhook_secret = Set(secret.clone());
    Ok((active.update(db).await?, secret))
}

/// Sets (or, with `None`, clears) where the store receives quantities on hand.
pub async fn set_inventory_url(
    db: &DatabaseConnection,
    caller: &Caller,
    id: Uuid,
    url: Option<&str>,
) -> ServiceResult<store::Model> {
    let store = find_owned_store(db, caller, id).await?;
    let url = url.filter(|u| !u.trim().is_empty()).map(crate::inventory::push::check_url).transpose()?;
    let mut active: store::ActiveModel = store.into();
    active.inventory_url = Set(url);
    Ok(active.update(db).await?)
}

/// A store's latest pushes of quantities on hand, newest first.
pub async fn inventory_deliveries(
    db: &DatabaseConnection,
    store_id: Uuid,
) -> ServiceResult<Vec<crate::entities::inventory_delivery::Model>> {
    use crate::entities::inventory_delivery;
    use sea_orm::{QueryOrder, QuerySelect};
    Ok(inventory_delivery::Entity::find()
        .filter(inventory_delivery::Column::StoreId.eq(store_id))
        .order_by_desc(inventory_delivery::Column::Id)
        .limit(50)
        .all(db)
        .await?)
}

/// A store's latest webhook deliveries, newest first (`limit` at most 100).
pub async fn webhook_deliveries(
    db: &DatabaseConnection,
    store_id: Uuid,
    limit: u64,
) -> ServiceResult<Vec<crate::entities::webhook_event::Model>> {
    use crate::entities::webhook_event;
    use sea_orm::QuerySelect;
    Ok(webhook_event::Entity::find()
        .filter(webhook_event::Column::StoreId.eq(store_id))
        .order_by_desc(webhook_event::Column::ReceivedAt)
        .order_by_desc(webhook_event::Column::Id)
        .limit(limit.min(100))
        .all(db)
        .await?)
}

/// How many of a store's deliveries are stored and not yet made into orders.
pub async fn webhooks_waiting(db: &DatabaseConnection, store_id: Uuid) -> ServiceResult<u64> {
    use crate::entities::webhook_event;
    use sea_orm::PaginatorTrait;
    Ok(webhook_event::Entity::find()
        .filter(webhook_event::Column::StoreId.eq(store_id))
        .filter(webhook_event::Column::Outcome.eq(crate::webhooks::RECEIVED))
        .count(db)
        .await?)
}
