use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_event")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub store_id: Uuid,
    pub topic: String,
    /// The store's delivery id; a generated one when the store sends none.
    pub event_id: String,
    /// RECEIVED (stored, waiting for the intake worker), ORDER_STORED, REFUND_STORED,
    /// ORDER_UNKNOWN, IGNORED or MALFORMED.
    pub outcome: String,
    pub raw_body: String,
    pub order_id: Option<Uuid>,
    pub error: Option<String>,
    pub received_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
