//! A Web Connector session's revision, raised by every call that writes the session. A replica
//! keeps the session it just wrote for the session's next call instead of reading it again;
//! the revision tells it, when it writes, whether another replica answered a call meanwhile.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(WcSession::Table)
                    .add_column(ColumnDef::new(WcSession::Revision).big_integer().not_null().default(0))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(WcSession::Table).drop_column(WcSession::Revision).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum WcSession {
    Table,
    Revision,
}
