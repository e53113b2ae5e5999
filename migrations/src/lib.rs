//! Ledgerbridge's schema, one append-only migration at a time.
//!
//! A migration that has shipped is never edited: change the schema with a new
//! `m<YYYYMMDD>_<seq>_<what>.rs` file added to [`Migrator::migrations`].

pub use sea_orm_migration::prelude::*;

mod m20261126_000001_accounts;
mod m20261126_000002_connections_and_settings;
mod m20261126_000003_stores_orders_and_log;
mod m20261126_000004_quickbooks_list_cache;
mod m20261126_000005_web_connector_sessions;
mod m20261126_000006_order_sync_state;
mod m20261126_000007_inventory_levels;
mod m20261126_000008_quickbooks_sales;
mod m20261126_000009_webhook_events;
mod m20261126_000010_sku_mappings;
mod m20261127_000011_store_refunds;
mod m20261127_000012_inventory_push;
mod m20261127_000013_webhook_intake_queue;
mod m20261127_000014_notifications;
mod m20261127_000015_login_throttle;
mod m20261127_000016_pending_order_index;
mod m20261127_000017_session_revision;
mod m20261128_000018_lz4_bodies;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_accounts::Migration),
            Box::new(m20261126_000002_connections_and_settings::Migration),
            Box::new(m20261126_000003_stores_orders_and_log::Migration),
            Box::new(m20261126_000004_quickbooks_list_cache::Migration),
            Box::new(m20261126_000005_web_connector_sessions::Migration),
            Box::new(m20261126_000006_order_sync_state::Migration),
            Box::new(m20261126_000007_inventory_levels::Migration),
            Box::new(m20261126_000008_quickbooks_sales::Migration),
            Box::new(m20261126_000009_webhook_events::Migration),
            Box::new(m20261126_000010_sku_mappings::Migration),
            Box::new(m20261127_000011_store_refunds::Migration),
            Box::new(m20261127_000012_inventory_push::Migration),
            Box::new(m20261127_000013_webhook_intake_queue::Migration),
            Box::new(m20261127_000014_notifications::Migration),
            Box::new(m20261127_000015_login_throttle::Migration),
            Box::new(m20261127_000016_pending_order_index::Migration),
            Box::new(m20261127_000017_session_revision::Migration),
            Box::new(m20261128_000018_lz4_bodies::Migration),
        ]
    }
}
