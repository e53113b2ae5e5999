//! One module per page (and the parts pages share).
pub mod auth;
pub mod connections;
pub mod dashboard;
pub mod log;
pub mod order;
pub mod pairing;
mod sales_tax;
mod stores;
mod sync_now;
pub mod wizard;
mod wizard_steps;
