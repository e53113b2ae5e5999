//! Quantities on hand read from QuickBooks, per item, and when they were last read.
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
                    .table(InventoryLevel::Table)
                    .col(uuid(InventoryLevel::ConnectionId))
                    .col(string(InventoryLevel::ItemFullName))
                    .col(string(InventoryLevel::ListId))
                    .col(string(InventoryLevel::QuantityOnHand))
                    .col(timestamp_with_time_zone(InventoryLevel::UpdatedAt))
                    .primary_key(Index::create().col(InventoryLevel::ConnectionId).col(InventoryLevel::ItemFullName))
                    .foreign_key(
                        ForeignKey::create()
                            .from(InventoryLevel::Table, InventoryLevel::ConnectionId)
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
                    .add_column(timestamp_with_time_zone_null(Inventory::InventoryReadAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(QbConnection::Table).drop_column(Inventory::InventoryReadAt).to_owned())
            .await?;
        manager.drop_table(Table::drop().table(InventoryLevel::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum InventoryLevel {
    Table,
    ConnectionId,
    ItemFullName,
    ListId,
    QuantityOnHand,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Inventory {
    InventoryReadAt,
}
