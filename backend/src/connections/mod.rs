//! QuickBooks connections: one per company file, paired with a Web Connector.
pub mod graphql;
pub mod service;

pub use service::find_owned;
