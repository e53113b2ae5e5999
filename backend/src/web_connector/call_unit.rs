//! A Web Connector call's work as one database transaction.
//!
//! Everything a call records (the session's step, the order's outcome and QuickBooks' ids, its
//! log entries) commits together or not at all: a crash or a failed statement half way leaves
//! the session where it was, and the Web Connector's retry finds it so.
//!
//! It is also what keeps a run quick. Outside a transaction every statement takes a connection
//! from the pool and gives it back, and the pool tests each one it gets back with a ping of its
//! own: the next statement then finds that connection busy and takes another, idle for longest.
//! On SQLite each connection has a thread of its own, so a call woke a different sleeping
//! thread for each statement. In a transaction the call keeps one connection from its first
//! statement to its last; on SQLite the calls have a connection of their own (see
//! [`crate::db::connect_for_web_connector`]), whose thread stays warm from call to call.
//!
//! What the call publishes (log entries, progress, quantities, sales) waits for the commit:
//! subscribers never see an entry that was rolled back.

use sea_orm::{DatabaseTransaction, DbErr, SqliteTransactionMode, TransactionOptions, TransactionTrait};

use super::progress::ProgressBus;
use super::service::WcContext;
use crate::app::AppState;
use crate::inventory::InventoryBus;
use crate::quickbooks_sales::SalesBus;
use crate::transaction_log::LogBus;

pub struct CallUnit<'a> {
    txn: DatabaseTransaction,
    log: LogBus,
    progress: ProgressBus,
    inventory: InventoryBus,
    sales: SalesBus,
    /// SQLite's turn to write, held to the commit (see [`crate::db::WriteGate`]).
    _turn: Option<tokio::sync::MutexGuard<'a, ()>>,
}

impl<'a> CallUnit<'a> {
    /// Opens the transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`):
    /// a transaction that read first and wrote later would fail, not wait, if another
    /// connection wrote in between.
    pub async fn begin(app: &'a AppState) -> Result<Self, DbErr> {
        let turn = app.write_gate.enter().await;
        let options = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        Ok(Self {
            txn: app.web_connector_db.begin_with_options(options).await?,
            log: LogBus::holding(),
            progress: ProgressBus::holding(),
            inventory: InventoryBus::holding(),
            sales: SalesBus::holding(),
            _turn: turn,
        })
    }

    /// What the call's service functions work with: this transaction and the holding buses.
    pub fn context<'c>(&'c self, app: &'c AppState) -> WcContext<'c, DatabaseTransaction> {
        WcContext {
            db: &self.txn,
            log: &self.log,
            progress: &self.progress,
            inventory: &self.inventory,
            sales: &self.sales,
            contexts: &app.sync_contexts,
            lease: app.web_connector_lease(),
        }
    }

    /// Commits, then publishes what the call published, in order.
    pub async fn commit(self, app: &AppState) -> Result<(), DbErr> {
        self.txn.commit().await?;
        self.log.release_into(&app.log_bus);
        self.progress.release_into(&app.progress_bus);
        self.inventory.release_into(&app.inventory_bus);
        self.sales.release_into(&app.sales_bus);
        Ok(())
    }

    /// Rolls back; nothing the call published is shown.
    pub async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }
}
