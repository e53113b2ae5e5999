//! The QuickBooks Web Connector: the SOAP service it calls, the session it runs (persisted
//! step by step), the `.qwc` file that pairs it, and QuickBooks' errors in plain English.
mod call_unit;
mod context_cache;
pub mod explain;
pub mod graphql;
pub mod order_sync;
mod plan;
pub mod progress;
pub mod qwc;
pub mod refund_sync;
pub mod routes;
pub mod service;
pub mod soap;
mod wsdl;

pub use context_cache::SyncContexts;
