use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "transaction_log_entry")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub connection_id: Uuid,
    pub level: String,
    pub kind: String,
    pub message: String,
    pub order_id: Option<Uuid>,
    pub order_number: Option<String>,
    pub details: Option<Json>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
