//! What the unit tests that need a database share: a migrated SQLite file of their own and a
//! merchant in it.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};
use uuid::Uuid;

use crate::entities::merchant;

/// A migrated SQLite database in a temporary folder, removed when the folder is dropped.
pub async fn migrated_sqlite() -> (tempfile::TempDir, DatabaseConnection) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let db = crate::db::connect(&format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display()))
        .await
        .expect("a database");
    crate::db::migrate(&db).await.expect("migrations");
    (dir, db)
}

/// A merchant row with the given address; its id.
pub async fn merchant(db: &DatabaseConnection, email: &str) -> Uuid {
    let id = Uuid::now_v7();
    merchant::ActiveModel {
        id: Set(id),
        email: Set(email.to_owned()),
        password_hash: Set("not a real hash".to_owned()),
        time_zone: Set("UTC".to_owned()),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await
    .expect("a merchant");
    id
}
