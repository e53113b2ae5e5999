//! Stores feeding a connection, the orders they send, and the transaction log
//! that records every action taken for a connection.
use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261126_000002_connections_and_settings::QbConnection;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Store::Table)
                    .col(uuid(Store::Id).primary_key())
                    .col(uuid(Store::ConnectionId))
                    .col(string(Store::Platform))
                    .col(string(Store::Name))
                    .col(timestamp_with_time_zone(Store::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Store::Table, Store::ConnectionId)
                            .to(QbConnection::Table, QbConnection::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StoreOrder::Table)
                    .col(uuid(StoreOrder::Id).primary_key())
                    .col(uuid(StoreOrder::StoreId))
                    .col(uuid(StoreOrder::ConnectionId))
                    .col(string(StoreOrder::ExternalId))
                    .col(string(StoreOrder::OrderNumber))
                    .col(string(StoreOrder::SyncStatus))
                    .col(json_binary(StoreOrder::Payload))
                    .col(timestamp_with_time_zone(StoreOrder::CreatedAt))
                    .col(timestamp_with_time_zone(StoreOrder::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(StoreOrder::Table, StoreOrder::StoreId)
                            .to(Store::Table, Store::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(StoreOrder::Table, StoreOrder::ConnectionId)
                            .to(QbConnection::Table, QbConnection::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_store_order_external")
                    .table(StoreOrder::Table)
                    .col(StoreOrder::StoreId)
                    .col(StoreOrder::ExternalId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TransactionLogEntry::Table)
                    .col(big_integer(TransactionLogEntry::Id).auto_increment().primary_key())
                    .col(uuid(TransactionLogEntry::ConnectionId))
                    .col(string(TransactionLogEntry::Level))
                    .col(string(TransactionLogEntry::Kind))
                    .col(text(TransactionLogEntry::Message))
                    .col(uuid_null(TransactionLogEntry::OrderId))
                    .col(string_null(TransactionLogEntry::OrderNumber))
                    .col(json_binary_null(TransactionLogEntry::Details))
                    .col(timestamp_with_time_zone(TransactionLogEntry::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(TransactionLogEntry::Table, TransactionLogEntry::ConnectionId)
                            .to(QbConnection::Table, QbConnection::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_transaction_log_connection")
                    .table(TransactionLogEntry::Table)
                    .col(TransactionLogEntry::ConnectionId)
                    .col(TransactionLogEntry::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [TransactionLogEntry::Table.into_iden(), StoreOrder::Table.into_iden(), Store::Table.into_iden()] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Store {
    Table,
    Id,
    ConnectionId,
    Platform,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum StoreOrder {
    Table,
    Id,
    StoreId,
    ConnectionId,
    ExternalId,
    OrderNumber,
    SyncStatus,
    Payload,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum TransactionLogEntry {
    Table,
    Id,
    ConnectionId,
    Level,
    Kind,
    Message,
    OrderId,
    OrderNumber,
    Details,
    CreatedAt,
}
