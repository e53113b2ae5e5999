//! Webhook deliveries are answered first and turned into orders after: the worker finds the
//! ones still waiting (outcome RECEIVED) oldest first, which this index keeps cheap however
//! many deliveries the audit trail holds.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("webhook_event_waiting")
                    .table(WebhookEvent::Table)
                    .col(WebhookEvent::Outcome)
                    .col(WebhookEvent::ReceivedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("webhook_event_waiting").table(WebhookEvent::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum WebhookEvent {
    Table,
    Outcome,
    ReceivedAt,
}
