use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "qb_list_entry")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub connection_id: Uuid,
    pub kind: String,
    pub list_id: String,
    pub full_name: String,
    pub name: String,
    pub parent_full_name: Option<String>,
    pub subtype: Option<String>,
    pub is_active: bool,
    pub details: Option<Json>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
