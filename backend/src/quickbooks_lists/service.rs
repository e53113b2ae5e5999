//! Reading and replacing the cached QuickBooks lists.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set, TransactionSession,
    sea_query::OnConflict,
};
use uuid::Uuid;

use super::{AccountType, ListKind, NameLookupError, resolve_name};
use crate::accounts::Caller;
use crate::connections::find_owned;
use crate::db::Db;
use crate::db_enum;
use crate::entities::{qb_connection, qb_list_entry, qb_list_read};
use crate::error::{FieldError, ServiceResult};
use crate::transaction_log::{LogBus, LogKind, NewLogEntry, record_log_entry};

pub type CachedEntry = qb_list_entry::Model;

/// One entry of a list as read from QuickBooks.
#[derive(Debug, Clone, PartialEq)]
pub struct NewListEntry {
    pub list_id: String,
    pub full_name: String,
    pub parent_full_name: Option<String>,
    /// The account type for accounts, the item type for items; `None` elsewhere.
    pub subtype: Option<String>,
    pub is_active: bool,
    pub details: Option<serde_json::Value>,
}

/// SQLite caps bound parameters per statement; 10 columns × 500 rows stays well inside.
const INSERT_CHUNK: usize = 500;

/// Replaces the cached copy of one list with what QuickBooks just returned, and records
/// when it was read. Readers see either the old list or the new one, never a mix.
pub async fn replace_list(
    db: &impl Db,
    bus: &LogBus,
    connection_id: Uuid,
    kind: ListKind,
    entries: Vec<NewListEntry>,
) -> ServiceResult<()> {
    let kind_text = db_enum::to_db(&kind);
    let count = entries.len();
    let txn = db.begin().await?;
    qb_list_entry::Entity::delete_many()
        .filter(qb_list_entry::Column::ConnectionId.eq(connection_id))
        .filter(qb_list_entry::Column::Kind.eq(kind_text.clone()))
        .exec(&txn)
        .await?;
    for chunk in to_rows(connection_id, &kind_text, entries).chunks(INSERT_CHUNK) {
        qb_list_entry::Entity::insert_many(chunk.to_vec()).exec_without_returning(&txn).await?;
    }
    record_read(&txn, connection_id, &kind_text, count).await?;
    txn.commit().await?;
    record_log_entry(
        db,
        bus,
        NewLogEntry::info(connection_id, LogKind::ListsRead, format!("Read {count} {} from QuickBooks", kind.label())),
    )
    .await?;
    Ok(())
}

fn staged_kind(kind: ListKind) -> String {
    format!("{}~STAGED", db_enum::to_db(&kind))
}

fn to_rows(connection_id: Uuid, kind_text: &str, entries: Vec<NewListEntry>) -> Vec<qb_list_entry::ActiveModel> {
    entries
        .into_iter()
        .map(|entry| qb_list_entry::ActiveModel {
            connection_id: Set(connection_id),
            kind: Set(kind_text.to_owned()),
            list_id: Set(entry.list_id),
            name: Set(entry.full_name.rsplit(':').next().unwrap_or(&entry.full_name).to_owned()),
            full_name: Set(entry.full_name),
            parent_full_name: Set(entry.parent_full_name),
            subtype: Set(entry.subtype),
            is_active: Set(entry.is_active),
            details: Set(entry.details),
            ..Default::default()
        })
        .collect()
}

/// Keeps one page of a long list aside until the whole list has been read, so the wizard
/// never sees half a list. The first page clears what an interrupted read left behind.
pub async fn stage_page(
    db: &impl Db,
    connection_id: Uuid,
    kind: ListKind,
    first_page: bool,
    entries: Vec<NewListEntry>,
) -> ServiceResult<()> {
    let staged = staged_kind(kind);
    let txn = db.begin().await?;
    if first_page {
        qb_list_entry::Entity::delete_many()
            .filter(qb_list_entry::Column::ConnectionId.eq(connection_id))
            .filter(qb_list_entry::Column::Kind.eq(staged.clone()))
            .exec(&txn)
            .await?;
    }
    // A page may repeat a name an earlier page had (a list edited while being read): the
    // later one wins rather than breaking the unique name index.
    let names: Vec<String> = entries.iter().map(|e| e.full_name.clone()).collect();
    for chunk in names.chunks(INSERT_CHUNK) {
        qb_list_entry::Entity::delete_many()
            .filter(qb_list_entry::Column::ConnectionId.eq(connection_id))
            .filter(qb_list_entry::Column::Kind.eq(staged.clone()))
            .filter(qb_list_entry::Column::FullName.is_in(chunk.to_vec()))
            .exec(&txn)
            .await?;
    }
    for chunk in to_rows(connection_id, &staged, entries).chunks(INSERT_CHUNK) {
        qb_list_entry::Entity::insert_many(chunk.to_vec()).exec_without_returning(&txn).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Makes the staged pages the list, in one transaction, and records when it was read.
pub async fn promote_staged(db: &impl Db, bus: &LogBus, connection_id: Uuid, kind: ListKind) -> ServiceResult<u64> {
    let kind_text = db_enum::to_db(&kind);
    let txn = db.begin().await?;
    qb_list_entry::Entity::delete_many()
        .filter(qb_list_entry::Column::ConnectionId.eq(connection_id))
        .filter(qb_list_entry::Column::Kind.eq(kind_text.clone()))
        .exec(&txn)
        .await?;
    let moved = qb_list_entry::Entity::update_many()
        .col_expr(qb_list_entry::Column::Kind, sea_orm::sea_query::Expr::value(kind_text.clone()))
        .filter(qb_list_entry::Column::ConnectionId.eq(connection_id))
        .filter(qb_list_entry::Column::Kind.eq(staged_kind(kind)))
        .exec(&txn)
        .await?
        .rows_affected;
    record_read(&txn, connection_id, &kind_text, moved as usize).await?;
    txn.commit().await?;
    record_log_entry(
        db,
        bus,
        NewLogEntry::info(connection_id, LogKind::ListsRead, format!("Read {moved} {} from QuickBooks", kind.label())),
    )
    .await?;
    Ok(moved)
}

async fn record_read(
    db: &impl sea_orm::ConnectionTrait,
    connection_id: Uuid,
    kind_text: &str,
    count: usize,
) -> ServiceResult<()> {
    qb_list_read::Entity::insert(qb_list_read::ActiveModel {
        connection_id: Set(connection_id),
        kind: Set(kind_text.to_owned()),
        entry_count: Set(i32::try_from(count).unwrap_or(i32::MAX)),
        read_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::columns([qb_list_read::Column::ConnectionId, qb_list_read::Column::Kind])
            .update_columns([qb_list_read::Column::EntryCount, qb_list_read::Column::ReadAt])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Adds entries Ledgerbridge itself created in QuickBooks (an item made for an order), so the
/// next order finds them without waiting for the lists to be read again.
pub async fn append_entries(
    db: &impl Db,
    connection_id: Uuid,
    kind: ListKind,
    entries: Vec<NewListEntry>,
) -> ServiceResult<()> {
    let kind_text = db_enum::to_db(&kind);
    for row in to_rows(connection_id, &kind_text, entries) {
        qb_list_entry::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([
                    qb_list_entry::Column::ConnectionId,
                    qb_list_entry::Column::Kind,
                    qb_list_entry::Column::FullName,
                ])
                .update_columns([qb_list_entry::Column::ListId, qb_list_entry::Column::IsActive])
                .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// When each list was last read, and how many entries it had.
pub async fn read_status(db: &impl Db, connection_id: Uuid) -> ServiceResult<Vec<qb_list_read::Model>> {
    Ok(qb_list_read::Entity::find().filter(qb_list_read::Column::ConnectionId.eq(connection_id)).all(db).await?)
}

/// The cached entries of one list, in byte order of their full names. Sorted here rather than
/// by the database, whose collation differs between SQLite and PostgreSQL: paging by name
/// needs one order everywhere.
pub async fn entries(db: &impl Db, connection_id: Uuid, kind: ListKind) -> ServiceResult<Vec<CachedEntry>> {
    let mut rows = qb_list_entry::Entity::find()
        .filter(qb_list_entry::Column::ConnectionId.eq(connection_id))
        .filter(qb_list_entry::Column::Kind.eq(db_enum::to_db(&kind)))
        .all(db)
        .await?;
    rows.sort_by(|a, b| a.full_name.cmp(&b.full_name));
    Ok(rows)
}

/// Asks the next Web Connector run to read every list again.
pub async fn request_refresh(
    db: &DatabaseConnection,
    bus: &LogBus,
    caller: &Caller,
    connection_id: Uuid,
) -> ServiceResult<qb_connection::Model> {
    let connection = find_owned(db, caller, connection_id).await?;
    let mut active: qb_connection::ActiveModel = connection.into();
    active.lists_refresh_requested_at = Set(Some(Utc::now()));
    let connection = active.update(db).await?;
    record_log_entry(
        db,
        bus,
        NewLogEntry::info(
            connection.id,
            LogKind::ListsRefreshRequested,
            "QuickBooks lists will be read again on the next Web Connector run",
        ),
    )
    .await?;
    Ok(connection)
}

/// The lists the wizard needs, loaded once per validation.
pub struct ListSnapshot {
    read: HashMap<ListKind, (DateTime<Utc>, i32)>,
    entries: HashMap<ListKind, Vec<CachedEntry>>,
}

pub const LISTS_NOT_READ: &str = "QuickBooks lists have not been read yet: open the QuickBooks Web Connector on \
the PC with QuickBooks, check this connection's box and click Update Selected, then try again";

impl ListSnapshot {
    pub async fn load(db: &impl Db, connection_id: Uuid, kinds: &[ListKind]) -> ServiceResult<Self> {
        let read = read_status(db, connection_id)
            .await?
            .into_iter()
            .filter_map(|row| Some((db_enum::from_db::<ListKind>(&row.kind)?, (row.read_at, row.entry_count))))
            .collect();
        let mut entries_by_kind = HashMap::new();
        for &kind in kinds {
            entries_by_kind.insert(kind, entries(db, connection_id, kind).await?);
        }
        Ok(Self { read, entries: entries_by_kind })
    }

    pub fn was_read(&self, kind: ListKind) -> bool {
        self.read.contains_key(&kind)
    }

    pub fn count(&self, kind: ListKind) -> Option<i32> {
        self.read.get(&kind).map(|(_, count)| *count)
    }

    /// Finds an active entry named `wanted` in any of `kinds`, or says why not in terms the
    /// merchant can act on, against the input field `field`.
    pub fn find(&self, kinds: &[ListKind], wanted: &str, field: &str) -> Result<&CachedEntry, FieldError> {
        if !kinds.iter().any(|kind| self.was_read(*kind)) {
            return Err(FieldError::new(field, LISTS_NOT_READ));
        }
        let pool: Vec<&CachedEntry> = kinds.iter().flat_map(|k| self.entries.get(k).into_iter().flatten()).collect();
        let labels = kinds.iter().map(|k| k.label()).collect::<Vec<_>>().join(" or ");
        if wanted.trim().is_empty() {
            return Err(FieldError::new(field, format!("required: choose one of your QuickBooks {labels}")));
        }
        let found = resolve_name(&pool, |e| e.full_name.as_str(), wanted).map_err(|err| match err {
            NameLookupError::NotFound(name) => FieldError::new(
                field,
                format!("QuickBooks has no {labels} named \"{name}\" (use \"refresh lists\" if you just added it)"),
            ),
            ambiguous => FieldError::new(field, ambiguous.to_string()),
        })?;
        if !found.is_active {
            return Err(FieldError::new(field, format!("\"{}\" is inactive in QuickBooks", found.full_name)));
        }
        Ok(found)
    }

    /// Finds an account and checks it is of one of the allowed types.
    pub fn find_account(&self, wanted: &str, allowed: &[AccountType], field: &str) -> Result<&CachedEntry, FieldError> {
        let account = self.find(&[ListKind::Account], wanted, field)?;
        let actual = account.subtype.as_deref().and_then(AccountType::from_qbxml);
        if actual.is_some_and(|t| allowed.contains(&t)) {
            return Ok(account);
        }
        let wanted_types = allowed.iter().map(|t| t.label()).collect::<Vec<_>>().join(" or ");
        let actual_label = actual.map_or("of an unknown type", |t| t.label());
        Err(FieldError::new(
            field,
            format!("\"{}\" is a {actual_label} account; choose a {wanted_types} account", account.full_name),
        ))
    }

    /// Entries of one kind (empty when the list was not loaded).
    pub fn entries(&self, kind: ListKind) -> &[CachedEntry] {
        self.entries.get(&kind).map(Vec::as_slice).unwrap_or(&[])
    }
}
