//! The stores webhooks are addressed to, kept for a moment between deliveries.
//!
//! A store sends its deliveries in bursts (an import, a sale), and reading the store for each
//! one was half the statements of answering it. A store is kept for two seconds after it was
//! read; this process forgets it at once when its secret is rotated or it is removed, another
//! replica within those two seconds (a delivery signed with the old secret may still be taken
//! there for that long; one for a removed store is refused when it is stored).

use std::time::Duration;

use sea_orm::{DatabaseConnection, EntityTrait};
use uuid::Uuid;

use crate::entities::store;
use crate::error::ServiceResult;
use crate::kept::KeptFor;

const FRESH_FOR: Duration = Duration::from_secs(2);

pub struct StoreCache(KeptFor<Uuid, store::Model>);

impl Default for StoreCache {
    fn default() -> Self {
        Self(KeptFor::new(FRESH_FOR))
    }
}

impl StoreCache {
    /// The store, kept if read less than two seconds ago. Stores that do not exist are not
    /// kept: a store added a moment later receives at once.
    pub async fn get(&self, db: &DatabaseConnection, id: Uuid) -> ServiceResult<Option<store::Model>> {
        if let Some(kept) = self.0.get(&id) {
            return Ok(Some(kept));
        }
        let read = store::Entity::find_by_id(id).one(db).await?;
        if let Some(store) = &read {
            self.0.put(id, store.clone());
        }
        Ok(read)
    }

    /// The store changed (new secret) or is gone: the next delivery reads it again.
    pub fn forget(&self, id: Uuid) {
        self.0.forget(&id);
    }
}
