//! What the sync knows about each order (its QuickBooks transaction, attempts, why it waits)
//! and each store's webhook signing secret.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let order_columns = [
            string_null(StoreOrder::QbTxnId),
            string_null(StoreOrder::QbTxnType),
            string_null(StoreOrder::QbRefNumber),
            string_null(StoreOrder::QbPaymentTxnId),
            string_null(StoreOrder::QbInvoiceTxnId),
            integer(StoreOrder::Attempts).default(0).to_owned(),
            text_null(StoreOrder::LastError),
            timestamp_with_time_zone_null(StoreOrder::SyncedAt),
        ];
        for column in order_columns {
            manager.alter_table(Table::alter().table(StoreOrder::Table).add_column(column).to_owned()).await?;
        }
        manager
            .alter_table(
                Table::alter().table(Store::Table).add_column(string(Store::WebhookSecret).default("")).to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_store_order_status")
                    .table(StoreOrder::Table)
                    .col(StoreOrder::ConnectionId)
                    .col(StoreOrder::SyncStatus)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("idx_store_order_status").table(StoreOrder::Table).to_owned()).await?;
        manager.alter_table(Table::alter().table(Store::Table).drop_column(Store::WebhookSecret).to_owned()).await?;
        for column in [
            StoreOrder::QbTxnId,
            StoreOrder::QbTxnType,
            StoreOrder::QbRefNumber,
            StoreOrder::QbPaymentTxnId,
            StoreOrder::QbInvoiceTxnId,
            StoreOrder::Attempts,
            StoreOrder::LastError,
            StoreOrder::SyncedAt,
        ] {
            manager.alter_table(Table::alter().table(StoreOrder::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum StoreOrder {
    Table,
    ConnectionId,
    SyncStatus,
    QbTxnId,
    QbTxnType,
    QbRefNumber,
    QbPaymentTxnId,
    QbInvoiceTxnId,
    Attempts,
    LastError,
    SyncedAt,
}

#[derive(DeriveIden)]
enum Store {
    Table,
    WebhookSecret,
}
