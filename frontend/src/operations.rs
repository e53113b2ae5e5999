//! Every GraphQL operation the dashboard sends. They live in `frontend/graphql/*.graphql` and
//! are compiled against the checked-in `schema.graphql`: a field the server no longer has, or
//! a variable of the wrong type, fails the build, and each answer arrives as its own types.

use graphql_client::GraphQLQuery;

/// The API's `DateTime` scalar: RFC 3339 text, formatted for the merchant by `ui::local_time`.
pub type DateTime = String;

/// One type per operation, named as in its `.graphql` file.
macro_rules! operations {
    ($file:tt: $($name:ident),+ $(,)?) => {$(
        #[derive(GraphQLQuery)]
        #[graphql(
            schema_path = "../schema.graphql",
            query_path = $file,
            response_derives = "Clone, PartialEq, Debug, Serialize",
            variables_derives = "Clone, Debug, Deserialize"
        )]
        pub struct $name;
    )+};
}

operations!("graphql/auth.graphql": ServerVersion, SignUp, LogIn, RefreshToken, LogOut);
operations!("graphql/connections.graphql": ConnectionList, CreateConnection, Pairing, SetWebConnectorPassword, QwcFile);
operations!(
    "graphql/wizard.graphql": WizardPage,
    SaveSyncDirection,
    SaveOrderSettings,
    SaveCustomerSettings,
    SaveAccountSettings,
    SaveSalesTaxSettings,
    SaveProductSettings,
    SaveNotificationSettings,
    CompleteSetup,
    RefreshQuickbooksLists,
    SalesTaxMappings,
    AddSalesTaxMapping,
    RemoveSalesTaxMapping,
    ImportSalesTaxMappings,
);
operations!("graphql/dashboard.graphql": Dashboard, QuickbooksItems, SyncProgressUpdates, MapSku, SyncNow);
operations!("graphql/log.graphql": TransactionLog, LogEntries, RetryOrder, SkipOrder, UndoOrder);
operations!("graphql/order.graphql": OrderDetail, OrderPreview);
operations!("graphql/stores.graphql": StoreList, AddStore, RotateStoreSecret, RemoveStore);
