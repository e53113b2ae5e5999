//! The stores webhooks are addressed to, kept for a moment between deliveries.
//!
//! A store sends its deliveries in bursts (an import, a sale), and reading the store for each
//! one was half the statements of answering it. A store is kept for two seconds after it was
//! read; this process forgets it at once when its secret is rotated or it is removed, another
//! replica within those two seconds (a delivery signed with the old secret may still be taken
//! there for that long; one for a removed store is refused when it is stored).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sea_orm::{DatabaseConnection, EntityTrait};
use uuid::Uuid;

use crate::entities::store;
use crate::error::ServiceResult;

const FRESH_FOR: Duration = Duration::from_secs(2);

#[derive(Default)]
pub struct StoreCache {
    by_id: Mutex<HashMap<Uuid, (Instant, store::Model)>>,
}

impl StoreCache {
    /// The store, kept if read less than two seconds ago. Stores that do not exist are not
    /// kept: a store added a moment later receives at once.
    pub async fn get(&self, db: &DatabaseConnection, id: Uuid) -> ServiceResult<Option<store::Model>> {
        if let Some(kept) = self.fresh(id) {
            return Ok(Some(kept));
        }
        let Some(read) = store::Entity::find_by_id(id).one(db).await? else { return Ok(None) };
        let mut by_id = self.by_id.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Only stores receiving now stay in the map.
        by_id.retain(|_, (read_at, _)| read_at.elapsed() < FRESH_FOR);
        by_id.insert(id, (Instant::now(), read.clone()));
        Ok(Some(read))
    }

    /// The store changed (new secret) or is gone: the next delivery reads it again.
    pub fn forget(&self, id: Uuid) {
        self.by_id.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&id);
    }

    fn fresh(&self, id: Uuid) -> Option<store::Model> {
        let by_id = self.by_id.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        by_id.get(&id).filter(|(read_at, _)| read_at.elapsed() < FRESH_FOR).map(|(_, kept)| kept.clone())
    }
}
