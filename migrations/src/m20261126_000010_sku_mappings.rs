//! Store SKUs the merchant mapped to QuickBooks items by hand, from the dashboard.
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
                    .table(SkuMapping::Table)
                    .col(uuid(SkuMapping::ConnectionId))
                    .col(string(SkuMapping::SkuKey))
                    .col(string(SkuMapping::Sku))
                    .col(string(SkuMapping::ItemFullName))
                    .col(timestamp_with_time_zone(SkuMapping::CreatedAt))
                    .primary_key(Index::create().col(SkuMapping::ConnectionId).col(SkuMapping::SkuKey))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SkuMapping::Table, SkuMapping::ConnectionId)
                            .to(QbConnection::Table, QbConnection::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(SkuMapping::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum SkuMapping {
    Table,
    ConnectionId,
    /// The SKU lower-cased: stores send SKUs in any case.
    SkuKey,
    Sku,
    ItemFullName,
    CreatedAt,
}
