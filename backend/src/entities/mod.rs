//! sea-orm entities, one file per table; the schema itself lives in `migrations/`.
pub mod api_token;
pub mod inventory_level;
pub mod merchant;
pub mod qb_connection;
pub mod qb_list_entry;
pub mod qb_list_read;
pub mod qb_sale;
pub mod refresh_token;
pub mod sales_tax_mapping;
pub mod server_secret;
pub mod sku_mapping;
pub mod store;
pub mod store_order;
pub mod transaction_log_entry;
pub mod wc_session;
pub mod webhook_event;
pub mod wizard_step;
