use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "wc_session")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub ticket: String,
    pub connection_id: Uuid,
    pub plan: Json,
    pub in_flight: Option<Json>,
    pub progress: i32,
    pub qbxml_version: Option<String>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub last_call_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub closed_at: Option<DateTimeUtc>,
    /// When its created records were looked at for an alert.
    pub reviewed_at: Option<DateTimeUtc>,
    /// Raised by every Web Connector call that writes the session (see `web_connector::service`).
    pub revision: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::qb_connection::Entity",
        from = "Column::ConnectionId",
        to = "super::qb_connection::Column::Id"
    )]
    Connection,
}

/// A session is read with its connection in one query on every Web Connector call.
impl Related<super::qb_connection::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Connection.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
