//! The GraphQL API: the schema assembled from each domain's query, mutation and
//! subscription objects, plus the HTTP and websocket routes that serve it.
mod context;
mod documents;
mod error;
mod flat_root;
mod known_valid;
mod nul_text;
mod request_body;
pub mod routes;
mod server_info;

pub use context::{RequestAuth, app, caller, parse_id};
pub use documents::ParsedDocuments;
pub use error::{ApiError, ApiResult};
use known_valid::InputTypes;
pub use known_valid::Schemas;

use async_graphql::{MergedObject, MergedSubscription, Schema};
use flat_root::flat_root;

use crate::accounts::graphql::{AccountsMutation, AccountsQuery};
use crate::app::AppState;
use crate::connections::graphql::{ConnectionsMutation, ConnectionsQuery};
use crate::inventory::graphql::{InventoryQuery, InventorySubscription};
use crate::notifications::graphql::{NotificationsMutation, NotificationsQuery};
use crate::orders::graphql::{OrdersMutation, OrdersQuery};
use crate::quickbooks_lists::graphql::{ListsMutation, ListsQuery};
use crate::quickbooks_sales::graphql::{SalesQuery, SalesSubscription};
use crate::stores::graphql::{StoresMutation, StoresQuery};
use crate::transaction_log::graphql::{LogQuery, LogSubscription};
use crate::web_connector::graphql::SyncSubscription;
use crate::wizard::graphql::{WizardMutation, WizardQuery};

// The query root's type: its parts merged, their fields listed in this order.
#[derive(MergedObject, Default)]
#[graphql(name = "QueryRoot")]
pub struct QueryParts(
    server_info::ServerQuery,
    AccountsQuery,
    ConnectionsQuery,
    ListsQuery,
    WizardQuery,
    LogQuery,
    StoresQuery,
    OrdersQuery,
    InventoryQuery,
    SalesQuery,
    NotificationsQuery,
);

flat_root!(QueryRoot(QueryParts): 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10);

// The mutation root's type: its parts merged, their fields listed in this order.
#[derive(MergedObject, Default)]
#[graphql(name = "MutationRoot")]
pub struct MutationParts(
    AccountsMutation,
    ConnectionsMutation,
    ListsMutation,
    WizardMutation,
    StoresMutation,
    OrdersMutation,
    NotificationsMutation,
);

// The wizard's saves are the mutations sent most, by the dashboard and by scripts: their part
// is asked first.
flat_root!(MutationRoot(MutationParts): 3, 0, 1, 2, 4, 5, 6);

#[derive(MergedSubscription, Default)]
pub struct SubscriptionRoot(LogSubscription, SyncSubscription, InventorySubscription, SalesSubscription);

pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Limits that keep one request from costing the server more than a page of the dashboard.
const MAX_DEPTH: usize = 12;
const MAX_COMPLEXITY: usize = 2_000;

fn builder() -> async_graphql::SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(QueryRoot::default(), MutationRoot::default(), SubscriptionRoot::default())
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
}

pub fn build_schema(state: AppState) -> AppSchema {
    builder().data(state).finish()
}

/// The schema with every validation rule, and beside it the one for documents known to pass
/// them ([`known_valid`]), which applies only the rules a request can still break: the limits
/// on depth and complexity among them.
pub fn build_schemas(state: AppState) -> Schemas {
    let known = builder().validation_mode(async_graphql::ValidationMode::Fast).data(state.clone()).finish();
    let inputs = std::sync::Arc::new(InputTypes::of::<QueryRoot, MutationRoot, SubscriptionRoot>());
    Schemas { full: build_schema(state), known, inputs }
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_committed_schema_graphql_matches_the_code() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql");
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        let generated = super::sdl();
        assert!(
            committed == generated,
            "schema.graphql is out of date: run `cargo run -p ledgerbridge -- export-schema > schema.graphql` and commit it"
        );
    }
}
