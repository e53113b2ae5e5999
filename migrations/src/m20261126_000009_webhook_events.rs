//! Every webhook delivery a store makes, kept raw for audit and support, and de-duplicated on
//! the store's event id (Shopify retries a delivery up to eight times).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WebhookEvent::Table)
                    .col(uuid(WebhookEvent::Id).primary_key())
                    .col(uuid(WebhookEvent::StoreId))
                    .col(string(WebhookEvent::Topic))
                    .col(string(WebhookEvent::EventId))
                    .col(string(WebhookEvent::Outcome))
                    .col(text(WebhookEvent::RawBody))
                    .col(uuid_null(WebhookEvent::OrderId))
                    .col(text_null(WebhookEvent::Error))
                    .col(timestamp_with_time_zone(WebhookEvent::ReceivedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(WebhookEvent::Table, WebhookEvent::StoreId)
                            .to(Store::Table, Store::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The database decides what is a repeat, so two simultaneous retries cannot both pass.
        manager
            .create_index(
                Index::create()
                    .name("uq_webhook_event_delivery")
                    .table(WebhookEvent::Table)
                    .col(WebhookEvent::StoreId)
                    .col(WebhookEvent::EventId)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(WebhookEvent::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum WebhookEvent {
    Table,
    Id,
    StoreId,
    Topic,
    EventId,
    Outcome,
    RawBody,
    OrderId,
    Error,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum Store {
    Table,
    Id,
}
