//! Keeping and reading quantities on hand.

use chrono::Utc;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, sea_query::OnConflict};
use uuid::Uuid;

use crate::db::Db;
use crate::entities::inventory_level;
use crate::error::ServiceResult;
use crate::qbxml::lists::InventoryLevel;

/// Changed quantities on hand, for live subscribers in this process.
pub type InventoryBus = crate::events::Bus<inventory_level::Model>;

impl crate::events::OfConnection for inventory_level::Model {
    fn connection_id(&self) -> Uuid {
        self.connection_id
    }
}

/// Stores levels read from QuickBooks, publishes the ones that changed and queues them for the
/// stores that receive quantities; returns the changed ones.
pub async fn store_levels(
    db: &impl Db,
    bus: &InventoryBus,
    connection_id: Uuid,
    levels: Vec<InventoryLevel>,
) -> ServiceResult<Vec<inventory_level::Model>> {
    let mut changed = Vec::new();
    for level in levels {
        let existing = inventory_level::Entity::find_by_id((connection_id, level.full_name.clone())).one(db).await?;
        if existing.as_ref().is_some_and(|e| e.quantity_on_hand == level.quantity_on_hand && e.list_id == level.list_id)
        {
            continue;
        }
        let row = inventory_level::Model {
            connection_id,
            item_full_name: level.full_name,
            list_id: level.list_id,
            quantity_on_hand: level.quantity_on_hand,
            updated_at: Utc::now(),
        };
        inventory_level::Entity::insert(inventory_level::ActiveModel {
            connection_id: Set(row.connection_id),
            item_full_name: Set(row.item_full_name.clone()),
            list_id: Set(row.list_id.clone()),
            quantity_on_hand: Set(row.quantity_on_hand.clone()),
            updated_at: Set(row.updated_at),
        })
        .on_conflict(
            OnConflict::columns([inventory_level::Column::ConnectionId, inventory_level::Column::ItemFullName])
                .update_columns([
                    inventory_level::Column::ListId,
                    inventory_level::Column::QuantityOnHand,
                    inventory_level::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
        bus.publish(row.clone());
        changed.push(row);
    }
    super::push::queue(db, connection_id, &changed).await?;
    Ok(changed)
}

pub async fn levels(db: &impl Db, connection_id: Uuid) -> ServiceResult<Vec<inventory_level::Model>> {
    Ok(inventory_level::Entity::find()
        .filter(inventory_level::Column::ConnectionId.eq(connection_id))
        .order_by_asc(inventory_level::Column::ItemFullName)
        .all(db)
        .await?)
}
