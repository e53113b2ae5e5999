//! Quantities on hand pushed to the stores: each store's receiving URL, and every delivery
//! with its attempts, kept until delivered or given up on.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(Store::Table).add_column(string_null(Store::InventoryUrl)).to_owned())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(InventoryDelivery::Table)
                    .col(uuid(InventoryDelivery::Id).primary_key())
                    .col(uuid(InventoryDelivery::StoreId))
                    .col(uuid(InventoryDelivery::ConnectionId))
                    .col(text(InventoryDelivery::Body))
                    .col(integer(InventoryDelivery::Items))
                    .col(string(InventoryDelivery::Status))
                    .col(integer(InventoryDelivery::Attempts).default(0))
                    .col(timestamp_with_time_zone(InventoryDelivery::NextAttemptAt))
                    .col(text_null(InventoryDelivery::LastError))
                    .col(timestamp_with_time_zone(InventoryDelivery::CreatedAt))
                    .col(timestamp_with_time_zone_null(InventoryDelivery::DeliveredAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(InventoryDelivery::Table, InventoryDelivery::StoreId)
                            .to(Store::Table, Store::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("inventory_delivery_due")
                    .table(InventoryDelivery::Table)
                    .col(InventoryDelivery::Status)
                    .col(InventoryDelivery::NextAttemptAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(InventoryDelivery::Table).to_owned()).await?;
        manager.alter_table(Table::alter().table(Store::Table).drop_column(Store::InventoryUrl).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Store {
    Table,
    Id,
    /// Where the store side receives quantities on hand; null for none.
    InventoryUrl,
}

#[derive(DeriveIden)]
enum InventoryDelivery {
    Table,
    Id,
    StoreId,
    ConnectionId,
    /// The JSON sent, signed as sent.
    Body,
    /// How many items it carries.
    Items,
    /// PENDING, DELIVERED or FAILED.
    Status,
    Attempts,
    NextAttemptAt,
    LastError,
    CreatedAt,
    DeliveredAt,
}
