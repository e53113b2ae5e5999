use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "qb_sale")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub connection_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub txn_id: String,
    pub txn_type: String,
    pub ref_number: String,
    pub txn_date: String,
    pub customer: String,
    /// An exact decimal, as QuickBooks wrote it.
    pub total: String,
    pub memo: String,
    pub time_modified: String,
    pub lines: Json,
    pub read_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
