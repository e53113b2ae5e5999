//! Sales read back from QuickBooks (when the sync direction is "from QuickBooks"), and when
//! they were last read.
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
                    .table(QbSale::Table)
                    .col(uuid(QbSale::ConnectionId))
                    .col(string(QbSale::TxnId))
                    .col(string(QbSale::TxnType))
                    .col(string(QbSale::RefNumber))
                    .col(string(QbSale::TxnDate))
                    .col(string(QbSale::Customer))
                    .col(string(QbSale::Total))
                    .col(text(QbSale::Memo))
                    .col(string(QbSale::TimeModified))
                    .col(json_binary(QbSale::Lines))
                    .col(timestamp_with_time_zone(QbSale::ReadAt))
                    .primary_key(Index::create().col(QbSale::ConnectionId).col(QbSale::TxnId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(QbSale::Table, QbSale::ConnectionId)
                            .to(QbConnection::Table, QbConnection::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(QbConnection::Table)
                    .add_column(timestamp_with_time_zone_null(Sales::SalesReadAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(QbConnection::Table).drop_column(Sales::SalesReadAt).to_owned())
            .await?;
        manager.drop_table(Table::drop().table(QbSale::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum QbSale {
    Table,
    ConnectionId,
    TxnId,
    TxnType,
    RefNumber,
    TxnDate,
    Customer,
    Total,
    Memo,
    TimeModified,
    Lines,
    ReadAt,
}

#[derive(DeriveIden)]
enum Sales {
    SalesReadAt,
}
