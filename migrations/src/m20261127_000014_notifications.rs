//! Email notifications: every message Ledgerbridge sends (the daily digest, alerts, tests),
//! kept with its delivery status. A unique key per message (the digest of one connection for
//! one day, the alert of one outage, of one Web Connector run) makes "sent once" hold with
//! several replicas: the first to record it wins, and one claims it for sending. Web Connector
//! sessions note when their created records were reviewed for an alert.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Notification::Table)
                    .col(uuid(Notification::Id).primary_key())
                    .col(uuid(Notification::ConnectionId))
                    .col(string(Notification::Kind))
                    .col(string(Notification::DedupeKey).unique_key())
                    .col(text(Notification::Recipients))
                    .col(text(Notification::Subject))
                    .col(text(Notification::BodyText))
                    .col(text(Notification::BodyHtml))
                    .col(string(Notification::Status))
                    .col(integer(Notification::Attempts).default(0))
                    .col(timestamp_with_time_zone(Notification::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(Notification::LeaseUntil))
                    .col(text_null(Notification::LastError))
                    .col(timestamp_with_time_zone_null(Notification::OutageSince))
                    .col(timestamp_with_time_zone(Notification::CreatedAt))
                    .col(timestamp_with_time_zone_null(Notification::SentAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Notification::Table, Notification::ConnectionId)
                            .to(QbConnection::Table, QbConnection::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("notification_due")
                    .table(Notification::Table)
                    .col(Notification::Status)
                    .col(Notification::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("notification_history")
                    .table(Notification::Table)
                    .col(Notification::ConnectionId)
                    .col(Notification::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(WcSession::Table)
                    .add_column(timestamp_with_time_zone_null(WcSession::ReviewedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(WcSession::Table).drop_column(WcSession::ReviewedAt).to_owned())
            .await?;
        manager.drop_table(Table::drop().table(Notification::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Notification {
    Table,
    Id,
    ConnectionId,
    /// DAILY_DIGEST, RECORDS_CREATED, WEB_CONNECTOR_OVERDUE, WEB_CONNECTOR_BACK or TEST.
    Kind,
    DedupeKey,
    /// Comma-separated, as step 7 keeps them.
    Recipients,
    Subject,
    BodyText,
    BodyHtml,
    /// PENDING, SENDING (claimed until lease_until), SENT, FAILED (gave up) or NOT_SENT
    /// (email is not configured on the server).
    Status,
    Attempts,
    NextAttemptAt,
    LeaseUntil,
    LastError,
    /// For outage alerts: the last contact before the outage.
    OutageSince,
    CreatedAt,
    SentAt,
}

#[derive(DeriveIden)]
enum QbConnection {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum WcSession {
    Table,
    /// When the session's created customers and items were looked at for an alert.
    ReviewedAt,
}
