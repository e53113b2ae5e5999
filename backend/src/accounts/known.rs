//! Accounts seen to exist a moment ago.
//!
//! An access token's signature and expiry already say who is calling; the database is asked
//! only whether that account still exists, so that a token cannot outlive its account. Asking
//! on every request was a database round trip before any request's own work: with it, the
//! cheapest authenticated GraphQL request ran at a third of the rate of the same request
//! without a token. An account found is believed for a few seconds; one not found is never
//! kept. Nothing in Ledgerbridge deletes an account, so the delay concerns only an account
//! removed from the database by hand, whose tokens stop working within [`FRESH_FOR`].
//! Partner API tokens are not covered by this: each use checks that it was not revoked.

use std::time::Duration;

use sea_orm::{DatabaseConnection, EntityTrait};
use uuid::Uuid;

use crate::entities::merchant;
use crate::error::ServiceResult;
use crate::kept::KeptFor;

pub const FRESH_FOR: Duration = Duration::from_secs(10);

pub struct KnownAccounts(KeptFor<Uuid, ()>);

impl Default for KnownAccounts {
    fn default() -> Self {
        Self::fresh_for(FRESH_FOR)
    }
}

impl KnownAccounts {
    pub fn fresh_for(duration: Duration) -> Self {
        Self(KeptFor::new(duration))
    }

    /// Whether the merchant's account exists: kept, or read from the database.
    pub async fn exists(&self, db: &DatabaseConnection, merchant_id: Uuid) -> ServiceResult<bool> {
        if self.0.get(&merchant_id).is_some() {
            return Ok(true);
        }
        let found = merchant::Entity::find_by_id(merchant_id).one(db).await?.is_some();
        if found {
            self.0.put(merchant_id, ());
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::KnownAccounts;
    use crate::entities::merchant;
    use crate::test_support::{merchant, migrated_sqlite};
    use sea_orm::EntityTrait;
    use std::time::Duration;
    use uuid::Uuid;

    #[tokio::test]
    async fn an_account_found_is_believed_for_a_while_and_one_not_found_never() {
        let (_dir, db) = migrated_sqlite().await;
        let known = KnownAccounts::fresh_for(Duration::from_millis(300));
        let missing = Uuid::now_v7();
        assert!(!known.exists(&db, missing).await.expect("read"), "no such account");
        assert!(known.0.get(&missing).is_none(), "an account not found is not kept");
        let id = merchant(&db, "kept@shop.example").await;
        assert!(known.exists(&db, id).await.expect("read"));
        merchant::Entity::delete_by_id(id).exec(&db).await.expect("delete");
        assert!(known.exists(&db, id).await.expect("kept"), "believed while fresh");
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert!(!known.exists(&db, id).await.expect("read"), "asked again once stale");
    }
}
