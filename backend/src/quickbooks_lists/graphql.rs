//! The cached QuickBooks lists over GraphQL, for the wizard's drop-downs.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::service::{self, CachedEntry};
use super::{AccountType, ListKind};
use crate::connections::find_owned;
use crate::connections::graphql::Connection as QbConnection;
use crate::db_enum;
use crate::entities::qb_connection;
use crate::graphql::{ApiResult, app, caller, parse_id};

/// A connection's cached QuickBooks lists.
pub struct QuickbooksLists(qb_connection::Model);

#[derive(SimpleObject)]
pub struct ListReadStatus {
    pub kind: ListKind,
    pub read_at: DateTime<Utc>,
    pub entry_count: i32,
}

#[derive(SimpleObject)]
pub struct QuickbooksListEntry {
    pub kind: ListKind,
    /// QuickBooks' own id for the entry.
    pub list_id: String,
    /// The full name, parents first (`Tools:Hammer`).
    pub full_name: String,
    pub name: String,
    pub parent_full_name: Option<String>,
    /// For accounts, the account type; null for other lists.
    pub account_type: Option<AccountType>,
    /// For items, the item type (Inventory, NonInventory, Service, ...).
    pub item_type: Option<String>,
    pub is_active: bool,
}

impl QuickbooksListEntry {
    fn from_cached(kind: ListKind, e: CachedEntry) -> Self {
        let (account_type, item_type) = match kind {
            ListKind::Account => (e.subtype.as_deref().and_then(AccountType::from_qbxml), None),
            ListKind::Item => (None, e.subtype.clone()),
            _ => (None, None),
        };
        Self {
            kind,
            list_id: e.list_id,
            full_name: e.full_name,
            name: e.name,
            parent_full_name: e.parent_full_name,
            account_type,
            item_type,
            is_active: e.is_active,
        }
    }
}

#[Object]
impl QuickbooksLists {
    /// True once the Web Connector has read the lists at least once.
    async fn read(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        Ok(!service::read_status(&app(ctx).db, self.0.id).await?.is_empty())
    }

    /// When each list was last read.
    async fn status(&self, ctx: &Context<'_>) -> ApiResult<Vec<ListReadStatus>> {
        let rows = service::read_status(&app(ctx).db, self.0.id).await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                Some(ListReadStatus {
                    kind: db_enum::from_db(&r.kind)?,
                    read_at: r.read_at,
                    entry_count: r.entry_count,
                })
            })
            .collect())
    }

    /// Set while a refresh has been asked for and the Web Connector has not run since.
    async fn refresh_requested_at(&self) -> Option<DateTime<Utc>> {
        self.0.lists_refresh_requested_at
    }

    /// The entries of one list in full-name order, paged with `first` and `after` (an entry's
    /// cursor). `accountTypes` narrows accounts to those types; `search` keeps names containing
    /// it (any case); `activeOnly` (default true) hides inactive entries.
    #[allow(clippy::too_many_arguments)]
    async fn entries(
        &self,
        ctx: &Context<'_>,
        kind: ListKind,
        account_types: Option<Vec<AccountType>>,
        search: Option<String>,
        #[graphql(default = true)] active_only: bool,
        after: Option<String>,
        #[graphql(default = 500, validator(minimum = 1, maximum = 5000))] first: i32,
    ) -> ApiResult<Connection<String, QuickbooksListEntry, EmptyFields, EmptyFields>> {
        let rows = service::entries(&app(ctx).db, self.0.id, kind).await?;
        let search = search.map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty());
        let first = first as usize;
        // Full names are unique within a list and the rows come sorted by them: the name is the cursor.
        let mut matching = rows
            .into_iter()
            .filter(|row| after.as_ref().is_none_or(|cursor| row.full_name.as_str() > cursor.as_str()))
            .map(|row| QuickbooksListEntry::from_cached(kind, row))
            .filter(|e| !active_only || e.is_active)
            .filter(|e| match (&account_types, e.account_type) {
                (Some(types), Some(t)) => types.contains(&t),
                (Some(_), None) => false,
                (None, _) => true,
            })
            .filter(|e| search.as_ref().is_none_or(|s| e.full_name.to_lowercase().contains(s)))
            .take(first + 1)
            .collect::<Vec<_>>();
        let has_next = matching.len() > first;
        matching.truncate(first);
        let mut page = Connection::new(after.is_some(), has_next);
        page.edges.extend(matching.into_iter().map(|e| Edge::new(e.full_name.clone(), e)));
        Ok(page)
    }
}

#[derive(Default)]
pub struct ListsQuery;

#[Object]
impl ListsQuery {
    /// The connection's QuickBooks lists as last read through the Web Connector.
    async fn quickbooks_lists(&self, ctx: &Context<'_>, connection_id: ID) -> ApiResult<QuickbooksLists> {
        let id = parse_id(&connection_id, "connection")?;
        Ok(QuickbooksLists(find_owned(&app(ctx).db, &caller(ctx)?, id).await?))
    }
}

#[derive(Default)]
pub struct ListsMutation;

#[Object]
impl ListsMutation {
    /// Asks the next Web Connector run to read every QuickBooks list again.
    async fn refresh_quickbooks_lists(&self, ctx: &Context<'_>, connection_id: ID) -> ApiResult<QbConnection> {
        let app = app(ctx);
        let id = parse_id(&connection_id, "connection")?;
        Ok(QbConnection(service::request_refresh(&app.db, &app.log_bus, &caller(ctx)?, id).await?))
    }
}
