//! Black-box tests: the real binary, started as a merchant would start it.
mod bad_input;
mod dashboard;
mod databases;
mod faults;
mod inventory_push;
mod notifications;
mod order_changes;
mod orders;
mod refunds;
mod replicas;
mod server;
mod web_connector;
mod webhooks;
