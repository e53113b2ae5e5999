use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "login_throttle")]
pub struct Model {
    /// The email as typed, trimmed and lower-cased (known or not: an unknown address is
    /// throttled alike, so the answer tells nothing).
    #[sea_orm(primary_key, auto_increment = false)]
    pub email_key: String,
    pub failures: i32,
    pub window_started_at: DateTimeUtc,
    pub locked_until: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
