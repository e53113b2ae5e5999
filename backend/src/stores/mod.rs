//! The stores that feed a connection: their platform, name (what "use the store's name"
//! means), webhook address and signing secret.
pub mod graphql;
pub mod service;

pub use service::{Platform, find_owned_store};
