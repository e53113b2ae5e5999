use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "store_order")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub store_id: Uuid,
    pub connection_id: Uuid,
    pub external_id: String,
    pub order_number: String,
    pub sync_status: String,
    pub payload: Json,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub qb_txn_id: Option<String>,
    pub qb_txn_type: Option<String>,
    pub qb_ref_number: Option<String>,
    pub qb_payment_txn_id: Option<String>,
    /// Sales order + invoice: the invoice billing the sales order.
    pub qb_invoice_txn_id: Option<String>,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub synced_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
