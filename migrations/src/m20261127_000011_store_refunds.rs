//! Refunds the stores report, each sent to QuickBooks as a credit memo of its own, with the
//! money given back (or the credit applied to the unpaid invoice).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(StoreRefund::Table)
                    .col(uuid(StoreRefund::Id).primary_key())
                    .col(uuid(StoreRefund::OrderId))
                    .col(uuid(StoreRefund::ConnectionId))
                    .col(string(StoreRefund::ExternalId))
                    .col(integer(StoreRefund::Sequence))
                    .col(json(StoreRefund::Payload))
                    .col(string(StoreRefund::SyncStatus))
                    .col(string_null(StoreRefund::QbCreditMemoTxnId))
                    .col(string_null(StoreRefund::QbCreditMemoRef))
                    .col(string_null(StoreRefund::QbMoneyTxnId))
                    .col(integer(StoreRefund::Attempts).default(0))
                    .col(text_null(StoreRefund::LastError))
                    .col(timestamp_with_time_zone(StoreRefund::CreatedAt))
                    .col(timestamp_with_time_zone_null(StoreRefund::SyncedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(StoreRefund::Table, StoreRefund::OrderId)
                            .to(StoreOrder::Table, StoreOrder::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // A refund the store sends again (Shopify retries, orders/updated repeats it) is the same refund.
        manager
            .create_index(
                Index::create()
                    .name("store_refund_order_external")
                    .table(StoreRefund::Table)
                    .col(StoreRefund::OrderId)
                    .col(StoreRefund::ExternalId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("store_refund_connection_status")
                    .table(StoreRefund::Table)
                    .col(StoreRefund::ConnectionId)
                    .col(StoreRefund::SyncStatus)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(StoreRefund::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum StoreRefund {
    Table,
    Id,
    OrderId,
    ConnectionId,
    ExternalId,
    /// 1 for the order's first refund: the credit memo's number is the order's plus `R1`.
    Sequence,
    Payload,
    SyncStatus,
    QbCreditMemoTxnId,
    QbCreditMemoRef,
    /// The refund of the money (ARRefundCreditCard) or the payment applying the credit.
    QbMoneyTxnId,
    Attempts,
    LastError,
    CreatedAt,
    SyncedAt,
}

#[derive(DeriveIden)]
enum StoreOrder {
    Table,
    Id,
}
