use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "qb_connection")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub merchant_id: Uuid,
    pub name: String,
    #[sea_orm(unique)]
    pub wc_username: String,
    pub wc_password_hash: Option<String>,
    pub owner_id: Uuid,
    pub file_id: Uuid,
    pub run_every_minutes: i32,
    pub company_name: Option<String>,
    pub country: Option<String>,
    pub edition: Option<String>,
    pub qbxml_versions: Option<String>,
    pub last_contact_at: Option<DateTimeUtc>,
    pub lists_refresh_requested_at: Option<DateTimeUtc>,
    pub setup_completed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub wc_active_ticket: Option<String>,
    pub wc_active_until: Option<DateTimeUtc>,
    pub wc_failed_logins: i32,
    pub wc_locked_until: Option<DateTimeUtc>,
    pub inventory_read_at: Option<DateTimeUtc>,
    pub sales_read_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
