//! Failed log-ins per email address, so guessing a password is slowed down on every replica
//! alike: the count of failures in the current window, and until when log-in is refused.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LoginThrottle::Table)
                    .col(string(LoginThrottle::EmailKey).primary_key())
                    .col(integer(LoginThrottle::Failures))
                    .col(timestamp_with_time_zone(LoginThrottle::WindowStartedAt))
                    .col(timestamp_with_time_zone_null(LoginThrottle::LockedUntil))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(LoginThrottle::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum LoginThrottle {
    Table,
    EmailKey,
    Failures,
    WindowStartedAt,
    LockedUntil,
}
