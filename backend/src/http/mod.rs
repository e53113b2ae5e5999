//! Plain HTTP routes: health checks and the dashboard's files.
pub mod dashboard;
pub mod health;
