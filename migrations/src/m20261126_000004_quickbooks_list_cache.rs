//! The cache of a company's QuickBooks lists (accounts, classes, terms, sales
//! tax items and codes, ...) read through the Web Connector, and when each
//! list was last read. The wizard validates its choices against it.
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
                    .table(QbListEntry::Table)
                    .col(big_integer(QbListEntry::Id).auto_increment().primary_key())
                    .col(uuid(QbListEntry::ConnectionId))
                    .col(string(QbListEntry::Kind))
                    .col(string(QbListEntry::ListId))
                    .col(string(QbListEntry::FullName))
                    .col(string(QbListEntry::Name))
                    .col(string_null(QbListEntry::ParentFullName))
                    .col(string_null(QbListEntry::Subtype))
                    .col(boolean(QbListEntry::IsActive))
                    .col(json_binary_null(QbListEntry::Details))
                    .foreign_key(
                        ForeignKey::create()
                            .from(QbListEntry::Table, QbListEntry::ConnectionId)
                            .to(QbConnection::Table, QbConnection::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_qb_list_entry_name")
                    .table(QbListEntry::Table)
                    .col(QbListEntry::ConnectionId)
                    .col(QbListEntry::Kind)
                    .col(QbListEntry::FullName)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(QbListRead::Table)
                    .col(uuid(QbListRead::ConnectionId))
                    .col(string(QbListRead::Kind))
                    .col(integer(QbListRead::EntryCount))
                    .col(timestamp_with_time_zone(QbListRead::ReadAt))
                    .primary_key(Index::create().col(QbListRead::ConnectionId).col(QbListRead::Kind))
                    .foreign_key(
                        ForeignKey::create()
                            .from(QbListRead::Table, QbListRead::ConnectionId)
                            .to(QbConnection::Table, QbConnection::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [QbListRead::Table.into_iden(), QbListEntry::Table.into_iden()] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum QbListEntry {
    Table,
    Id,
    ConnectionId,
    Kind,
    ListId,
    FullName,
    Name,
    ParentFullName,
    Subtype,
    IsActive,
    Details,
}

#[derive(DeriveIden)]
enum QbListRead {
    Table,
    ConnectionId,
    Kind,
    EntryCount,
    ReadAt,
}
