//! Quantities on hand read from QuickBooks, kept per item, published to partners and pushed to
//! the stores.
pub mod graphql;
pub mod push;
pub mod service;

pub use service::InventoryBus;
