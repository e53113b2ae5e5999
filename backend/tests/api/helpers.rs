//! `spawn_app()` and the vocabulary the tests speak.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use ledgerbridge::entities::qb_connection;
use ledgerbridge::quickbooks_lists::{ListKind, NewListEntry, service::replace_list};
use ledgerbridge::{AppState, Application, Config};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Database, EntityTrait, Set};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// The signing secret tests configure, so they can forge tokens (e.g. already expired ones).
pub const TEST_JWT_SECRET: &str = "integration-test-secret";

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub address: String,
    pub state: AppState,
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    _sqlite_dir: Option<tempfile::TempDir>,
    postgres_database: Option<(String, String)>,
}

/// Runs each named scenario twice: on a SQLite file and on a fresh PostgreSQL database.
macro_rules! on_both_databases {
    ($($scenario:ident),* $(,)?) => {$(
        mod $scenario {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite).await.expect("sqlite always runs");
                super::$scenario(&app).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                match crate::helpers::spawn_app(crate::helpers::Backend::Postgres).await {
                    Some(app) => super::$scenario(&app).await,
                    None => eprintln!("skipped: set LEDGERBRIDGE_TEST_POSTGRES_URL to run on PostgreSQL"),
                }
            }
        }
    )*};
}
pub(crate) use on_both_databases;

/// Starts the application; `None` for PostgreSQL when no server is configured.
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |_| {}).await
}

/// [`spawn_app`] with the configuration changed first (e.g. an SMTP server).
pub async fn spawn_app_with(backend: Backend, configure: impl FnOnce(&mut Config)) -> Option<TestApp> {
    let (database_url, sqlite_dir, postgres_database) = match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("ledgerbridge.db").display());
            (url, Some(dir), None)
        }
        Backend::Postgres => {
            let base = std::env::var("LEDGERBRIDGE_TEST_POSTGRES_URL").ok()?;
            let name = format!("lb_test_{}", uuid::Uuid::new_v4().simple());
            let admin = Database::connect(&base).await.expect("connect to LEDGERBRIDGE_TEST_POSTGRES_URL");
            admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.expect("create test database");
            admin.close().await.ok();
            (with_database_name(&base, &name), None, Some((base, name)))
        }
    };
    let mut config = Config::for_database(database_url);
    config.jwt_secret = Some(TEST_JWT_SECRET.to_owned());
    config.dashboard_dir = std::env::temp_dir().join("ledgerbridge-no-dashboard");
    configure(&mut config);
    let app = Application::build(config).await.expect("application starts");
    let address = format!("127.0.0.1:{}", app.port());
    let state = app.state().clone();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    Some(TestApp {
        address,
        state,
        client: reqwest::Client::new(),
        stop: Some(stop),
        _sqlite_dir: sqlite_dir,
        postgres_database,
    })
}

fn with_database_name(url: &str, name: &str) -> String {
    let (without_query, query) = url.split_once('?').map_or((url, None), |(a, b)| (a, Some(b)));
    let base = without_query.rsplit_once('/').map_or(without_query, |(head, _)| head);
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

impl TestApp {
    /// Ends every PostgreSQL session of this app's database, as a server restart does, and
    /// says whether it did (false on SQLite). The app's pool still holds the dead connections.
    pub async fn end_database_sessions(&self) -> bool {
        let Some((base, name)) = &self.postgres_database else {
            return false;
        };
        let admin = Database::connect(base.as_str()).await.expect("connect to LEDGERBRIDGE_TEST_POSTGRES_URL");
        admin
            .execute_unprepared(&format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            ))
            .await
            .expect("end the app's sessions");
        admin.close().await.ok();
        true
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some((base, name)) = self.postgres_database.take() {
            // Drop runs outside async; a short-lived runtime on its own thread drops the database.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
                runtime.block_on(async {
                    let admin = Database::connect(&base).await.ok()?;
                    admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await.ok()
                })
            })
            .join();
        }
    }
}

/// One GraphQL answer.
pub struct Answer(pub Value);

impl Answer {
    /// The data, asserting there were no errors.
    pub fn data(&self) -> &Value {
        assert!(self.0.get("errors").is_none(), "unexpected GraphQL errors: {}", self.0);
        &self.0["data"]
    }

    /// The first error's `extensions.code`, asserting there was an error.
    pub fn code(&self) -> &str {
        self.0["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("expected a GraphQL error with a code, got {}", self.0))
    }

    pub fn message(&self) -> &str {
        self.0["errors"][0]["message"].as_str().unwrap_or("")
    }

    /// Every `field` named in a VALIDATION error.
    pub fn fields(&self) -> Vec<String> {
        self.0["errors"][0]["extensions"]["fields"]
            .as_array()
            .map(|list| list.iter().filter_map(|f| f["field"].as_str().map(String::from)).collect())
            .unwrap_or_default()
    }

    /// The message given for one field.
    pub fn field_message(&self, field: &str) -> String {
        self.0["errors"][0]["extensions"]["fields"]
            .as_array()
            .and_then(|list| list.iter().find(|f| f["field"] == field))
            .and_then(|f| f["message"].as_str().map(String::from))
            .unwrap_or_else(|| panic!("no error for {field} in {}", self.0))
    }
}

/// A merchant's tokens.
pub struct Merchant {
    pub access_token: String,
    pub refresh_token: String,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    pub async fn graphql(&self, token: Option<&str>, query: &str, variables: Value) -> Answer {
        let mut request =
            self.client.post(self.url("/graphql")).json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("POST /graphql");
        Answer(response.json().await.expect("a JSON answer"))
    }

    pub async fn sign_up(&self, email: &str) -> Merchant {
        let answer = self
            .graphql(
                None,
                "mutation($e: String!) { signUp(email: $e, password: \"correct horse battery\") { accessToken refreshToken } }",
                json!({ "e": email }),
            )
            .await;
        let data = &answer.data()["signUp"];
        Merchant {
            access_token: data["accessToken"].as_str().expect("access token").to_owned(),
            refresh_token: data["refreshToken"].as_str().expect("refresh token").to_owned(),
        }
    }

    pub async fn create_connection(&self, token: &str, name: &str) -> String {
        let answer = self
            .graphql(
                Some(token),
                "mutation($n: String!) { createConnection(input: { name: $n }) { id } }",
                json!({ "n": name }),
            )
            .await;
        answer.data()["createConnection"]["id"].as_str().expect("connection id").to_owned()
    }

    /// Fills the connection's list cache the way a Web Connector run does, and records the
    /// company's country.
    pub async fn read_company_lists(&self, connection_id: &str, country: &str, extra_items: usize) {
        let id = uuid::Uuid::parse_str(connection_id).expect("uuid");
        let db = &self.state.db;
        let bus = &self.state.log_bus;
        let account = |name: &str, kind: &str| list_entry(name, Some(kind));
        let plain = |name: &str| list_entry(name, None);
        let accounts = vec![
            account("Sales", "Income"),
            account("Sales:Online Sales", "Income"),
            account("Discounts Given", "Income"),
            account("Inventory Asset", "OtherCurrentAsset"),
            account("Undeposited Funds", "OtherCurrentAsset"),
            account("Checking", "Bank"),
            account("Cost of Goods Sold", "CostOfGoodsSold"),
            account("Accounts Receivable", "AccountsReceivable"),
            account("Office Supplies", "Expense"),
        ];
        replace_list(db, bus, id, ListKind::Account, accounts).await.expect("accounts");
        replace_list(db, bus, id, ListKind::Class, vec![plain("Web"), plain("Retail"), plain("Retail:Outlet")])
            .await
            .expect("classes");
        replace_list(db, bus, id, ListKind::Terms, vec![plain("Net 30"), plain("Due on receipt")])
            .await
            .expect("terms");
        let codes =
            if country == "US" { vec![plain("Tax"), plain("Non")] } else { vec![plain("G"), plain("H"), plain("E")] };
        replace_list(db, bus, id, ListKind::SalesTaxCode, codes).await.expect("codes");
        replace_list(db, bus, id, ListKind::SalesTaxItem, vec![plain("NY State Tax"), plain("NYC Tax")])
            .await
            .expect("tax items");
        replace_list(db, bus, id, ListKind::SalesTaxGroup, vec![plain("NYC Combined")]).await.expect("tax groups");
        let mut items = vec![plain("Tools"), plain("Tools:Hammer"), plain("Shirt")];
        items.extend((0..extra_items).map(|i| plain(&format!("Bulk item {i:05}"))));
        replace_list(db, bus, id, ListKind::Item, items).await.expect("items");
        let connection = qb_connection::Entity::find_by_id(id).one(db).await.expect("query").expect("connection");
        let mut active: qb_connection::ActiveModel = connection.into();
        active.country = Set(Some(country.to_owned()));
        active.company_name = Set(Some("Sample Company".to_owned()));
        active.update(db).await.expect("update connection");
    }
}

fn list_entry(full_name: &str, subtype: Option<&str>) -> NewListEntry {
    NewListEntry {
        list_id: format!("{:08X}-1", full_name.bytes().fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(b.into()))),
        full_name: full_name.to_owned(),
        parent_full_name: full_name.rsplit_once(':').map(|(parent, _)| parent.to_owned()),
        subtype: subtype.map(String::from),
        is_active: true,
        details: None,
    }
}

/// A graphql-transport-ws client on `/graphql/ws`.
pub struct Subscription {
    socket: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
}

impl TestApp {
    /// Opens a websocket, authenticates in `connection_init` and subscribes.
    pub async fn subscribe(&self, token: Option<&str>, query: &str, variables: Value) -> Subscription {
        let mut request = format!("ws://{}/graphql/ws", self.address).into_client_request().expect("ws request");
        request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().expect("header"));
        let (mut socket, _) = tokio_tungstenite::connect_async(request).await.expect("websocket connects");
        let payload = token.map_or(json!({}), |t| json!({ "Authorization": format!("Bearer {t}") }));
        socket
            .send(Message::text(json!({ "type": "connection_init", "payload": payload }).to_string()))
            .await
            .expect("send init");
        let mut subscription = Subscription { socket };
        let ack = subscription.next_message().await;
        assert_eq!(ack["type"], "connection_ack", "{ack}");
        subscription
            .socket
            .send(Message::text(
                json!({ "id": "1", "type": "subscribe", "payload": { "query": query, "variables": variables } })
                    .to_string(),
            ))
            .await
            .expect("send subscribe");
        subscription
    }
}

impl Subscription {
    /// The next protocol message (ping/pong skipped), waiting at most ten seconds.
    pub async fn next_message(&mut self) -> Value {
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(10), self.socket.next())
                .await
                .expect("a websocket message within 10 s")
                .expect("the socket stays open")
                .expect("a valid frame");
            if let Message::Text(text) = frame {
                let value: Value = serde_json::from_str(&text).expect("JSON message");
                if value["type"] != "ping" && value["type"] != "pong" {
                    return value;
                }
            }
        }
    }

    /// Whether a message arrives within `wait`.
    pub async fn is_quiet_for(&mut self, wait: Duration) -> bool {
        tokio::time::timeout(wait, self.socket.next()).await.is_err()
    }
}
