//! One module per page.
pub mod auth;
pub mod connections;
pub mod pairing;
pub mod wizard;
mod wizard_steps;
