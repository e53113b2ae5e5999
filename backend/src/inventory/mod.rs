//! Quantities on hand read from QuickBooks, kept per item and published to partners (pushing
//! them to the stores is the intake side's work).
pub mod graphql;
pub mod service;

pub use service::InventoryBus;
