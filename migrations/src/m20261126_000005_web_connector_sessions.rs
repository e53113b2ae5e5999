//! Web Connector sessions, persisted so a restarted server (or another replica) continues a
//! session or ends it cleanly; a lease on the connection so one company file never runs two
//! sessions at once; and failed-login throttling.
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
                    .table(WcSession::Table)
                    .col(string(WcSession::Ticket).primary_key())
                    .col(uuid(WcSession::ConnectionId))
                    .col(json_binary(WcSession::Plan))
                    .col(json_binary_null(WcSession::InFlight))
                    .col(integer(WcSession::Progress))
                    .col(string_null(WcSession::QbxmlVersion))
                    .col(text_null(WcSession::LastError))
                    .col(timestamp_with_time_zone(WcSession::CreatedAt))
                    .col(timestamp_with_time_zone(WcSession::LastCallAt))
                    .col(timestamp_with_time_zone(WcSession::ExpiresAt))
                    .col(timestamp_with_time_zone_null(WcSession::ClosedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(WcSession::Table, WcSession::ConnectionId)
                            .to(QbConnection::Table, QbConnection::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_wc_session_connection")
                    .table(WcSession::Table)
                    .col(WcSession::ConnectionId)
                    .to_owned(),
            )
            .await?;
        // One ALTER per column: SQLite cannot add several in one statement.
        let columns = [
            string_null(ConnectionLease::WcActiveTicket),
            timestamp_with_time_zone_null(ConnectionLease::WcActiveUntil),
            integer(ConnectionLease::WcFailedLogins).default(0).to_owned(),
            timestamp_with_time_zone_null(ConnectionLease::WcLockedUntil),
        ];
        for column in columns {
            manager.alter_table(Table::alter().table(QbConnection::Table).add_column(column).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            ConnectionLease::WcActiveTicket,
            ConnectionLease::WcActiveUntil,
            ConnectionLease::WcFailedLogins,
            ConnectionLease::WcLockedUntil,
        ] {
            manager.alter_table(Table::alter().table(QbConnection::Table).drop_column(column).to_owned()).await?;
        }
        manager.drop_table(Table::drop().table(WcSession::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum WcSession {
    Table,
    Ticket,
    ConnectionId,
    Plan,
    InFlight,
    Progress,
    QbxmlVersion,
    LastError,
    CreatedAt,
    LastCallAt,
    ExpiresAt,
    ClosedAt,
}

// Named as the columns are: the `Wc` prefix is the columns' own.
#[allow(clippy::enum_variant_names)]
#[derive(DeriveIden)]
enum ConnectionLease {
    WcActiveTicket,
    WcActiveUntil,
    WcFailedLogins,
    WcLockedUntil,
}
