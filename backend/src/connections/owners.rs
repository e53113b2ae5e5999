//! Whose each connection is, kept between requests.
//!
//! A connection's owner is set when it is created and never changes, and connections are not
//! deleted, so what was read once stays true; it is kept for a minute only so that the map
//! holds just the connections in use. A save that needs nothing of the connection but that it
//! is the caller's (the wizard's steps without QuickBooks lists) then reads nothing before its
//! write. An id not found among the caller's own is never kept.

use std::time::Duration;

use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::find_owned;
use crate::accounts::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::kept::KeptFor;

const FRESH_FOR: Duration = Duration::from_secs(60);

pub struct ConnectionOwners(KeptFor<Uuid, Uuid>);

impl Default for ConnectionOwners {
    fn default() -> Self {
        Self(KeptFor::new(FRESH_FOR))
    }
}

impl ConnectionOwners {
    /// The connection's id if it is the caller's; NOT_FOUND otherwise, as [`find_owned`] says.
    pub async fn owned_id(&self, db: &DatabaseConnection, caller: &Caller, id: Uuid) -> ServiceResult<Uuid> {
        match self.0.get(&id) {
            Some(owner) if owner == caller.merchant_id => Ok(id),
            Some(_) => Err(ServiceError::NotFound("connection")),
            None => {
                // Boxed: the read's future is large, and without the box every save that
                // finds its owner kept would carry its room (see `StepWriter::save`).
                let connection = Box::pin(find_owned(db, caller, id)).await?;
                self.0.put(connection.id, connection.merchant_id);
                Ok(connection.id)
            }
        }
    }
}
