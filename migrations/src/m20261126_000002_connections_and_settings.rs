//! QuickBooks connections (one per company file) and the configuration wizard's
//! settings for each: one row per saved step, plus the sales tax mapping table.
use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261126_000001_accounts::Merchant;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(QbConnection::Table)
                    .col(uuid(QbConnection::Id).primary_key())
                    .col(uuid(QbConnection::MerchantId))
                    .col(string(QbConnection::Name))
                    .col(string_uniq(QbConnection::WcUsername))
                    .col(string_null(QbConnection::WcPasswordHash))
                    .col(uuid(QbConnection::OwnerId))
                    .col(uuid(QbConnection::FileId))
                    .col(integer(QbConnection::RunEveryMinutes))
                    .col(string_null(QbConnection::CompanyName))
                    .col(string_null(QbConnection::Country))
                    .col(string_null(QbConnection::Edition))
                    .col(string_null(QbConnection::QbxmlVersions))
                    .col(timestamp_with_time_zone_null(QbConnection::LastContactAt))
                    .col(timestamp_with_time_zone_null(QbConnection::ListsRefreshRequestedAt))
                    .col(timestamp_with_time_zone_null(QbConnection::SetupCompletedAt))
                    .col(timestamp_with_time_zone(QbConnection::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(QbConnection::Table, QbConnection::MerchantId)
                            .to(Merchant::Table, Merchant::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_qb_connection_merchant")
                    .table(QbConnection::Table)
                    .col(QbConnection::MerchantId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WizardStep::Table)
                    .col(uuid(WizardStep::ConnectionId))
                    .col(string(WizardStep::Step))
                    .col(json_binary(WizardStep::Data))
                    .col(timestamp_with_time_zone(WizardStep::SavedAt))
                    .primary_key(Index::create().col(WizardStep::ConnectionId).col(WizardStep::Step))
                    .foreign_key(
                        ForeignKey::create()
                            .from(WizardStep::Table, WizardStep::ConnectionId)
                            .to(QbConnection::Table, QbConnection::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SalesTaxMapping::Table)
                    .col(uuid(SalesTaxMapping::Id).primary_key())
                    .col(uuid(SalesTaxMapping::ConnectionId))
                    .col(string(SalesTaxMapping::Country))
                    .col(string(SalesTaxMapping::Region))
                    .col(string(SalesTaxMapping::County))
                    .col(string(SalesTaxMapping::City))
                    .col(string(SalesTaxMapping::TaxCode))
                    .col(timestamp_with_time_zone(SalesTaxMapping::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SalesTaxMapping::Table, SalesTaxMapping::ConnectionId)
                            .to(QbConnection::Table, QbConnection::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // One mapping per place: the database, not a racy pre-check, refuses a second.
        manager
            .create_index(
                Index::create()
                    .name("uq_sales_tax_mapping_place")
                    .table(SalesTaxMapping::Table)
                    .col(SalesTaxMapping::ConnectionId)
                    .col(SalesTaxMapping::Country)
                    .col(SalesTaxMapping::Region)
                    .col(SalesTaxMapping::County)
                    .col(SalesTaxMapping::City)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in
            [SalesTaxMapping::Table.into_iden(), WizardStep::Table.into_iden(), QbConnection::Table.into_iden()]
        {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
pub(crate) enum QbConnection {
    Table,
    Id,
    MerchantId,
    Name,
    WcUsername,
    WcPasswordHash,
    OwnerId,
    FileId,
    RunEveryMinutes,
    CompanyName,
    Country,
    Edition,
    QbxmlVersions,
    LastContactAt,
    ListsRefreshRequestedAt,
    SetupCompletedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum WizardStep {
    Table,
    ConnectionId,
    Step,
    Data,
    SavedAt,
}

#[derive(DeriveIden)]
enum SalesTaxMapping {
    Table,
    Id,
    ConnectionId,
    Country,
    Region,
    County,
    City,
    TaxCode,
    CreatedAt,
}
