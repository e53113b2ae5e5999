//! Creating connections and pairing them with the Web Connector.

use chrono::Utc;
use rand::RngCore;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use crate::accounts::password::hash_password_blocking;
use crate::accounts::{Caller, PasswordError};
use crate::entities::qb_connection;
use crate::error::{ServiceError, ServiceResult};
use crate::transaction_log::{LogBus, LogKind, NewLogEntry, record_log_entry};

/// The Web Connector refuses to run more often than once a minute; a week is the most
/// anyone has a use for.
pub const RUN_EVERY_MINUTES_RANGE: std::ops::RangeInclusive<i32> = 1..=10_080;
pub const DEFAULT_RUN_EVERY_MINUTES: i32 = 15;

/// The one place a connection id from outside becomes a connection: it is found only among
/// the caller's own, so another merchant's id is simply not found.
pub async fn find_owned(db: &DatabaseConnection, caller: &Caller, id: Uuid) -> ServiceResult<qb_connection::Model> {
    qb_connection::Entity::find_by_id(id)
        .filter(qb_connection::Column::MerchantId.eq(caller.merchant_id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("connection"))
}

pub async fn list(db: &DatabaseConnection, caller: &Caller) -> ServiceResult<Vec<qb_connection::Model>> {
    Ok(qb_connection::Entity::find()
        .filter(qb_connection::Column::MerchantId.eq(caller.merchant_id))
        .order_by_asc(qb_connection::Column::CreatedAt)
        .all(db)
        .await?)
}

pub async fn create(
    db: &DatabaseConnection,
    bus: &LogBus,
    caller: &Caller,
    name: &str,
    run_every_minutes: Option<i32>,
) -> ServiceResult<qb_connection::Model> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ServiceError::invalid("input.name", "give the connection a name of 1 to 100 characters"));
    }
    let minutes = run_every_minutes.unwrap_or(DEFAULT_RUN_EVERY_MINUTES);
    if !RUN_EVERY_MINUTES_RANGE.contains(&minutes) {
        return Err(ServiceError::invalid(
            "input.runEveryMinutes",
            format!(
                "the Web Connector can run every {} to {} minutes",
                RUN_EVERY_MINUTES_RANGE.start(),
                RUN_EVERY_MINUTES_RANGE.end()
            ),
        ));
    }
    let connection = qb_connection::ActiveModel {
        id: Set(Uuid::now_v7()),
        merchant_id: Set(caller.merchant_id),
        name: Set(name.to_owned()),
        wc_username: Set(new_web_connector_username()),
        wc_password_hash: Set(None),
        owner_id: Set(owner_id()),
        file_id: Set(Uuid::new_v4()),
        run_every_minutes: Set(minutes),
        company_name: Set(None),
        country: Set(None),
        edition: Set(None),
        qbxml_versions: Set(None),
        last_contact_at: Set(None),
        lists_refresh_requested_at: Set(None),
        setup_completed_at: Set(None),
        created_at: Set(Utc::now()),
        wc_active_ticket: Set(None),
        wc_active_until: Set(None),
        wc_failed_logins: Set(0),
        wc_locked_until: Set(None),
        inventory_read_at: Set(None),
        sales_read_at: Set(None),
    }
    .insert(db)
    .await?;
    record_log_entry(
        db,
        bus,
        NewLogEntry::info(connection.id, LogKind::ConnectionCreated, format!("Connection \"{name}\" created")),
    )
    .await?;
    Ok(connection)
}

/// Sets (or changes) the password the merchant types into the Web Connector.
pub async fn set_web_connector_password(
    db: &DatabaseConnection,
    bus: &LogBus,
    caller: &Caller,
    id: Uuid,
    password: &str,
) -> ServiceResult<qb_connection::Model> {
    let connection = find_owned(db, caller, id).await?;
    let hash = hash_password_blocking(password.to_owned()).await.map_err(|err| match err {
        PasswordError::Hash(_) => ServiceError::internal(err),
        other => ServiceError::invalid("password", format!("the Web Connector password {other}")),
    })?;
    let mut active: qb_connection::ActiveModel = connection.into();
    active.wc_password_hash = Set(Some(hash));
    let connection = active.update(db).await?;
    record_log_entry(
        db,
        bus,
        NewLogEntry::info(connection.id, LogKind::WebConnectorPasswordSet, "Web Connector password set"),
    )
    .await?;
    Ok(connection)
}

pub async fn set_schedule(
    db: &DatabaseConnection,
    caller: &Caller,
    id: Uuid,
    run_every_minutes: i32,
) -> ServiceResult<qb_connection::Model> {
    if !RUN_EVERY_MINUTES_RANGE.contains(&run_every_minutes) {
        return Err(ServiceError::invalid("runEveryMinutes", "the Web Connector can run every 1 to 10080 minutes"));
    }
    let connection = find_owned(db, caller, id).await?;
    let mut active: qb_connection::ActiveModel = connection.into();
    active.run_every_minutes = Set(run_every_minutes);
    Ok(active.update(db).await?)
}

/// Every connection carries Ledgerbridge's one OwnerID (see [`crate::web_connector::qwc::OWNER_ID`]).
fn owner_id() -> Uuid {
    Uuid::parse_str(crate::web_connector::qwc::OWNER_ID.trim_matches(['{', '}'])).unwrap_or_default()
}

/// Web Connector user names are global (the SOAP `authenticate` call names no merchant),
/// so they are random rather than derived from anything a merchant chose.
fn new_web_connector_username() -> String {
    let mut bytes = [0u8; 5];
    rand::rng().fill_bytes(&mut bytes);
    format!("lb-{}", hex::encode(bytes))
}
