//! Saving wizard steps, the wizard's progress, the sales tax mapping table and finishing set-up.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use serde::{Serialize, de::DeserializeOwned};
use uuid::Uuid;

use super::sales_tax::{MappingRow, check_row, parse_mappings_csv};
use super::step_writer::{StepSave, StepWriter};
use super::steps::*;
use super::suggestions::suggest_accounts;
use super::validate::{self, CompanyCountry};
use crate::accounts::Caller;
use crate::connections::{ConnectionOwners, find_owned};
use crate::db_enum;
use crate::entities::{qb_connection, sales_tax_mapping, wizard_step};
use crate::error::{FieldError, ServiceError, ServiceResult};
use crate::quickbooks_lists::service::{entries, read_status};
use crate::quickbooks_lists::{ListKind, ListSnapshot};
use crate::transaction_log::service::insert_log_entry;
use crate::transaction_log::{LogBus, LogKind, NewLogEntry};

/// Everything the wizard shows for one connection.
#[derive(Debug, Clone)]
pub struct WizardState {
    pub connection_id: Uuid,
    pub settings: Settings,
    pub saved_at: HashMap<WizardStepKind, DateTime<Utc>>,
    pub lists_read_at: Option<DateTime<Utc>>,
    pub setup_completed_at: Option<DateTime<Utc>>,
    pub account_suggestions: AccountSuggestions,
}

impl WizardState {
    /// The first step not saved yet; `None` once all are.
    pub fn current_step(&self) -> Option<WizardStepKind> {
        WizardStepKind::ALL.into_iter().find(|step| !self.settings.is_saved(*step))
    }

    pub fn progress_percent(&self) -> i32 {
        let saved = WizardStepKind::ALL.iter().filter(|s| self.settings.is_saved(**s)).count();
        (saved * 100 / WizardStepKind::ALL.len()) as i32
    }
}

fn decode<T: DeserializeOwned>(rows: &HashMap<WizardStepKind, wizard_step::Model>, step: WizardStepKind) -> Option<T> {
    rows.get(&step).and_then(|row| serde_json::from_value(row.data.clone()).ok())
}

async fn step_rows(
    db: &impl ConnectionTrait,
    connection_id: Uuid,
) -> ServiceResult<HashMap<WizardStepKind, wizard_step::Model>> {
    Ok(wizard_step::Entity::find()
        .filter(wizard_step::Column::ConnectionId.eq(connection_id))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|row| Some((db_enum::from_db::<WizardStepKind>(&row.step)?, row)))
        .collect())
}

fn settings_from(rows: &HashMap<WizardStepKind, wizard_step::Model>) -> Settings {
    Settings {
        sync_direction: decode(rows, WizardStepKind::SyncDirection),
        orders: decode(rows, WizardStepKind::Orders),
        customers: decode(rows, WizardStepKind::Customers),
        accounts: decode(rows, WizardStepKind::Accounts),
        sales_tax: decode(rows, WizardStepKind::SalesTax),
        products: decode(rows, WizardStepKind::Products),
        notifications: decode(rows, WizardStepKind::Notifications),
    }
}

/// A connection's saved settings alone (one query): what order intake needs, without the
/// lists and suggestions the wizard page shows.
pub async fn settings_of(db: &impl ConnectionTrait, connection_id: Uuid) -> ServiceResult<Settings> {
    Ok(settings_from(&step_rows(db, connection_id).await?))
}

pub async fn load(db: &impl crate::db::Db, connection: &qb_connection::Model) -> ServiceResult<WizardState> {
    let rows = step_rows(db, connection.id).await?;
    let settings = settings_from(&rows);
    let lists_read_at = read_status(db, connection.id).await?.into_iter().map(|r| r.read_at).max();
    let account_suggestions = suggest_accounts(&entries(db, connection.id, ListKind::Account).await?);
    Ok(WizardState {
        connection_id: connection.id,
        saved_at: rows.iter().map(|(step, row)| (*step, row.saved_at)).collect(),
        settings,
        lists_read_at,
        setup_completed_at: connection.setup_completed_at,
        account_suggestions,
    })
}

pub async fn state_for(db: &DatabaseConnection, caller: &Caller, connection_id: Uuid) -> ServiceResult<WizardState> {
    let connection = find_owned(db, caller, connection_id).await?;
    load(db, &connection).await
}

/// Stores a step's settings and the log entry telling of it, together.
async fn store_step<T: Serialize>(
    writer: &StepWriter,
    connection_id: Uuid,
    step: WizardStepKind,
    value: &T,
) -> ServiceResult<()> {
    let data = serde_json::to_value(value).map_err(ServiceError::internal)?;
    writer.save(StepSave { connection_id, step, data }).await
}

fn invalid(errors: Vec<FieldError>) -> ServiceError {
    ServiceError::Validation(errors)
}

/// The context every save needs: the caller's connection and the lists it validates against.
struct StepContext {
    connection: qb_connection::Model,
    lists: ListSnapshot,
}

impl StepContext {
    async fn load(
        db: &DatabaseConnection,
        caller: &Caller,
        connection_id: Uuid,
        kinds: &[ListKind],
    ) -> ServiceResult<Self> {
        let connection = find_owned(db, caller, connection_id).await?;
        let lists = ListSnapshot::load(db, connection.id, kinds).await?;
        Ok(Self { connection, lists })
    }

    fn country(&self) -> CompanyCountry {
        CompanyCountry::from_stored(self.connection.country.as_deref())
    }
}

pub async fn save_sync_direction(
    db: &DatabaseConnection,
    writer: &StepWriter,
    owners: &ConnectionOwners,
    caller: &Caller,
    connection_id: Uuid,
    input: SyncDirectionSettings,
) -> ServiceResult<(SyncDirectionSettings, Uuid)> {
    let connection_id = owners.owned_id(db, caller, connection_id).await?;
    store_step(writer, connection_id, WizardStepKind::SyncDirection, &input).await?;
    Ok((input, connection_id))
}

pub async fn save_orders(
    db: &DatabaseConnection,
    writer: &StepWriter,
    caller: &Caller,
    connection_id: Uuid,
    input: OrderSettings,
) -> ServiceResult<(OrderSettings, Uuid)> {
    let ctx = StepContext::load(db, caller, connection_id, &[ListKind::Class, ListKind::Terms]).await?;
    let settings = validate::orders(input, &ctx.lists).map_err(invalid)?;
    store_step(writer, ctx.connection.id, WizardStepKind::Orders, &settings).await?;
    Ok((settings, ctx.connection.id))
}

pub async fn save_customers(
    db: &DatabaseConnection,
    writer: &StepWriter,
    owners: &ConnectionOwners,
    caller: &Caller,
    connection_id: Uuid,
    input: CustomerSettings,
) -> ServiceResult<(CustomerSettings, Uuid)> {
    let connection_id = owners.owned_id(db, caller, connection_id).await?;
    let settings = validate::customers(input).map_err(invalid)?;
    store_step(writer, connection_id, WizardStepKind::Customers, &settings).await?;
    Ok((settings, connection_id))
}

pub async fn save_accounts(
    db: &DatabaseConnection,
    writer: &StepWriter,
    caller: &Caller,
    connection_id: Uuid,
    input: AccountSettings,
) -> ServiceResult<(AccountSettings, Uuid)> {
    let ctx = StepContext::load(db, caller, connection_id, &[ListKind::Account]).await?;
    let settings = validate::accounts(input, &ctx.lists).map_err(invalid)?;
    store_step(writer, ctx.connection.id, WizardStepKind::Accounts, &settings).await?;
    Ok((settings, ctx.connection.id))
}

const TAX_KINDS: [ListKind; 3] = [ListKind::SalesTaxItem, ListKind::SalesTaxGroup, ListKind::SalesTaxCode];

pub async fn save_sales_tax(
    db: &DatabaseConnection,
    writer: &StepWriter,
    caller: &Caller,
    connection_id: Uuid,
    input: SalesTaxSettings,
) -> ServiceResult<(SalesTaxSettings, Uuid)> {
    let ctx = StepContext::load(db, caller, connection_id, &TAX_KINDS).await?;
    let settings = validate::sales_tax(input, &ctx.lists, ctx.country()).map_err(invalid)?;
    store_step(writer, ctx.connection.id, WizardStepKind::SalesTax, &settings).await?;
    Ok((settings, ctx.connection.id))
}

pub async fn save_products(
    db: &DatabaseConnection,
    writer: &StepWriter,
    caller: &Caller,
    connection_id: Uuid,
    input: ProductSettings,
) -> ServiceResult<(ProductSettings, Uuid)> {
    // Only the item count matters here, which the read status carries: no need to load items.
    let ctx = StepContext::load(db, caller, connection_id, &[]).await?;
    let settings = validate::products(input, &ctx.lists).map_err(invalid)?;
    store_step(writer, ctx.connection.id, WizardStepKind::Products, &settings).await?;
    Ok((settings, ctx.connection.id))
}

pub async fn save_notifications(
    db: &DatabaseConnection,
    writer: &StepWriter,
    owners: &ConnectionOwners,
    caller: &Caller,
    connection_id: Uuid,
    input: NotificationSettings,
) -> ServiceResult<(NotificationSettings, Uuid)> {
    let connection_id = owners.owned_id(db, caller, connection_id).await?;
    let settings = validate::notifications(input).map_err(invalid)?;
    store_step(writer, connection_id, WizardStepKind::Notifications, &settings).await?;
    Ok((settings, connection_id))
}

/// Marks set-up complete, or says every step and rule still missing. Calling it again after
/// set-up keeps the first completion time.
pub async fn complete_setup(
    db: &DatabaseConnection,
    bus: &LogBus,
    caller: &Caller,
    connection_id: Uuid,
) -> ServiceResult<WizardState> {
    let connection = find_owned(db, caller, connection_id).await?;
    let state = load(db, &connection).await?;
    let mapping_count = mappings(db, connection.id).await?.len();
    let missing = validate::completeness(&state.settings, mapping_count);
    if !missing.is_empty() {
        return Err(ServiceError::Validation(missing));
    }
    if connection.setup_completed_at.is_some() {
        return Ok(state);
    }
    // The completion and the log entry telling of it commit together.
    let txn = db.begin().await?;
    let mut active: qb_connection::ActiveModel = connection.into();
    active.setup_completed_at = Set(Some(Utc::now()));
    let connection = active.update(&txn).await?;
    let entry = insert_log_entry(
        &txn,
        NewLogEntry::info(
            connection.id,
            LogKind::SetupCompleted,
            "Set up complete: orders will flow on the next Web Connector run",
        ),
    )
    .await?;
    txn.commit().await?;
    bus.publish(entry);
    load(db, &connection).await
}

// ---- The sales tax mapping table -------------------------------------------------------

pub async fn mappings(
    db: &impl sea_orm::ConnectionTrait,
    connection_id: Uuid,
) -> ServiceResult<Vec<sales_tax_mapping::Model>> {
    use sales_tax_mapping::Column;
    Ok(sales_tax_mapping::Entity::find()
        .filter(Column::ConnectionId.eq(connection_id))
        .order_by_asc(Column::Country)
        .order_by_asc(Column::Region)
        .order_by_asc(Column::County)
        .order_by_asc(Column::City)
        .all(db)
        .await?)
}

pub async fn mappings_for(
    db: &DatabaseConnection,
    caller: &Caller,
    connection_id: Uuid,
) -> ServiceResult<Vec<sales_tax_mapping::Model>> {
    let connection = find_owned(db, caller, connection_id).await?;
    mappings(db, connection.id).await
}

fn new_mapping(connection_id: Uuid, row: MappingRow) -> sales_tax_mapping::ActiveModel {
    sales_tax_mapping::ActiveModel {
        id: Set(Uuid::now_v7()),
        connection_id: Set(connection_id),
        country: Set(row.country),
        region: Set(row.region),
        county: Set(row.county),
        city: Set(row.city),
        tax_code: Set(row.tax_code),
        created_at: Set(Utc::now()),
    }
}

/// Places are compared ignoring case, as addresses arrive in any case.
fn same_place(a: &sales_tax_mapping::Model, b: &MappingRow) -> bool {
    let eq = |x: &str, y: &str| x.to_lowercase() == y.to_lowercase();
    eq(&a.country, &b.country) && eq(&a.region, &b.region) && eq(&a.county, &b.county) && eq(&a.city, &b.city)
}

/// Inserts a mapping, or changes the tax code of the one already covering its place.
async fn upsert_mapping(
    db: &impl sea_orm::ConnectionTrait,
    existing: &[sales_tax_mapping::Model],
    connection_id: Uuid,
    row: MappingRow,
) -> ServiceResult<()> {
    match existing.iter().find(|m| same_place(m, &row)) {
        Some(found) => {
            let mut active: sales_tax_mapping::ActiveModel = found.clone().into();
            active.tax_code = Set(row.tax_code);
            active.update(db).await?;
        }
        None => {
            new_mapping(connection_id, row).insert(db).await?;
        }
    }
    Ok(())
}

/// Adds one mapping; a mapping for the same place is replaced.
pub async fn add_mapping(
    db: &DatabaseConnection,
    caller: &Caller,
    connection_id: Uuid,
    row: MappingRow,
) -> ServiceResult<Vec<sales_tax_mapping::Model>> {
    let ctx = StepContext::load(db, caller, connection_id, &TAX_KINDS).await?;
    check_row(&row).map_err(|message| ServiceError::invalid("input", message))?;
    let tax_code = validate::mapping_target(&row.tax_code, &ctx.lists, ctx.country(), "input.taxCode")
        .map_err(|err| ServiceError::Validation(vec![err]))?;
    let existing = mappings(db, ctx.connection.id).await?;
    upsert_mapping(db, &existing, ctx.connection.id, MappingRow { tax_code, ..row }).await?;
    mappings(db, ctx.connection.id).await
}

pub async fn remove_mapping(
    db: &DatabaseConnection,
    caller: &Caller,
    mapping_id: Uuid,
) -> ServiceResult<Vec<sales_tax_mapping::Model>> {
    let mapping = sales_tax_mapping::Entity::find_by_id(mapping_id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("sales tax mapping"))?;
    // Ownership is the connection's: another merchant's mapping is not found, not forbidden.
    let connection =
        find_owned(db, caller, mapping.connection_id).await.map_err(|_| ServiceError::NotFound("sales tax mapping"))?;
    sales_tax_mapping::Entity::delete_by_id(mapping.id).exec(db).await?;
    mappings(db, connection.id).await
}

/// Imports mappings from CSV, all or nothing. Rows for a place already mapped replace it;
/// with `replace`, the whole table is replaced.
pub async fn import_mappings(
    db: &DatabaseConnection,
    bus: &LogBus,
    caller: &Caller,
    connection_id: Uuid,
    csv: &str,
    replace: bool,
) -> ServiceResult<Vec<sales_tax_mapping::Model>> {
    let ctx = StepContext::load(db, caller, connection_id, &TAX_KINDS).await?;
    let rows = parse_mappings_csv(csv).map_err(ServiceError::Validation)?;
    let mut errors = Vec::new();
    let mut checked = Vec::with_capacity(rows.len());
    for (index, row) in rows.into_iter().enumerate() {
        match validate::mapping_target(&row.tax_code, &ctx.lists, ctx.country(), "csv") {
            Ok(tax_code) => checked.push(MappingRow { tax_code, ..row }),
            Err(err) => errors.push(FieldError::new("csv", format!("line {}: {}", index + 2, err.message))),
        }
    }
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors));
    }
    // A CSV may name a place twice: the later line wins.
    let mut unique: Vec<MappingRow> = Vec::with_capacity(checked.len());
    for row in checked {
        let key = |r: &MappingRow| [&r.country, &r.region, &r.county, &r.city].map(|p| p.to_lowercase());
        match unique.iter_mut().find(|kept| key(kept) == key(&row)) {
            Some(kept) => *kept = row,
            None => unique.push(row),
        }
    }
    let count = unique.len();
    // SQLite: the write lock from the start; a transaction that reads first and writes later
    // would fail, not wait, if another connection wrote in between.
    let txn = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await?;
    let existing = if replace {
        sales_tax_mapping::Entity::delete_many()
            .filter(sales_tax_mapping::Column::ConnectionId.eq(ctx.connection.id))
            .exec(&txn)
            .await?;
        Vec::new()
    } else {
        mappings(&txn, ctx.connection.id).await?
    };
    for row in unique {
        upsert_mapping(&txn, &existing, ctx.connection.id, row).await?;
    }
    let entry = insert_log_entry(
        &txn,
        NewLogEntry::info(
            ctx.connection.id,
            LogKind::SettingsSaved,
            format!("{count} sales tax mappings imported from CSV"),
        ),
    )
    .await?;
    txn.commit().await?;
    bus.publish(entry);
    mappings(db, ctx.connection.id).await
}
