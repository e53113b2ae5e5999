//! Sales read back from QuickBooks when the sync direction is "from QuickBooks": kept, listed
//! and published live.
pub mod graphql;
pub mod service;

pub use service::SalesBus;
