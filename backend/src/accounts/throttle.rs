//! Slows down password guessing: after `MAX_FAILURES` failed log-ins for one email address
//! within `WINDOW`, log-in for that address is refused for `LOCK` — even with the right
//! password — and the answer says when to try again. Kept in the database, so every replica
//! counts alike; a successful log-in clears the count.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, IntoActiveModel, Set, sea_query::OnConflict};

use crate::entities::login_throttle;
use crate::error::{ServiceError, ServiceResult};

pub const MAX_FAILURES: i32 = 5;
pub const WINDOW: Duration = Duration::minutes(15);
pub const LOCK: Duration = Duration::minutes(15);

/// The key an attempt is counted under: what was typed, trimmed and lower-cased, cut to the
/// longest an email address can be (so no one stores megabytes by typing them).
pub fn key(email: &str) -> String {
    email.trim().to_lowercase().chars().take(320).collect()
}

/// Refuses the attempt when the address is locked.
pub async fn check(db: &DatabaseConnection, key: &str, now: DateTime<Utc>) -> ServiceResult<()> {
    let locked_until =
        login_throttle::Entity::find_by_id(key.to_owned()).one(db).await?.and_then(|row| row.locked_until);
    match locked_until {
        Some(until) if until > now => {
            Err(ServiceError::TooManyAttempts { retry_after_seconds: (until - now).num_seconds().max(1) })
        }
        _ => Ok(()),
    }
}

/// Counts a failed attempt; the one that reaches the limit locks the address.
pub async fn failed(db: &DatabaseConnection, key: &str, now: DateTime<Utc>) -> ServiceResult<()> {
    let row = login_throttle::Entity::find_by_id(key.to_owned()).one(db).await?;
    let (failures, window_started_at) = match &row {
        Some(row) if row.window_started_at + WINDOW > now && row.locked_until.is_none_or(|u| u > now) => {
            (row.failures + 1, row.window_started_at)
        }
        // The window passed, or a lock ran out: count afresh.
        _ => (1, now),
    };
    let locked_until = (failures >= MAX_FAILURES).then(|| now + LOCK);
    let model = login_throttle::Model { email_key: key.to_owned(), failures, window_started_at, locked_until };
    match row {
        Some(existing) => {
            let mut active = existing.into_active_model();
            active.failures = Set(failures);
            active.window_started_at = Set(window_started_at);
            active.locked_until = Set(locked_until);
            active.update(db).await?;
        }
        None => {
            login_throttle::Entity::insert(model.into_active_model())
                .on_conflict(
                    OnConflict::column(login_throttle::Column::EmailKey)
                        .update_columns([login_throttle::Column::Failures, login_throttle::Column::WindowStartedAt])
                        .to_owned(),
                )
                .exec_without_returning(db)
                .await?;
        }
    }
    Ok(())
}

/// A successful log-in forgets the failures before it.
pub async fn succeeded(db: &DatabaseConnection, key: &str) -> ServiceResult<()> {
    login_throttle::Entity::delete_by_id(key.to_owned()).exec(db).await?;
    Ok(())
}
