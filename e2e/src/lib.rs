//! Black-box test support: starting the real `ledgerbridge` binary and a headless browser.
//! The tests themselves live under `tests/e2e/`.

pub mod browser;
pub mod merchant;
pub mod quickbooks;
pub mod server;
pub mod smtp;
pub mod web_connector;
