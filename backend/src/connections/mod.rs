//! QuickBooks connections: one per company file, paired with a Web Connector.
pub mod graphql;
pub mod owners;
pub mod service;

pub use owners::ConnectionOwners;
pub use service::find_owned;
