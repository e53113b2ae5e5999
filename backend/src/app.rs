//! Building the application from its configuration and serving it until asked to stop.

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRef};
use axum::serve::ListenerExt;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

use crate::accounts::{AuthKeys, service::load_or_create_jwt_secret};
use crate::config::{Config, redact_url};
use crate::db::{self, DbSetupError};
use crate::error::ServiceError;
use crate::graphql;
use crate::http;
use crate::inventory::InventoryBus;
use crate::notifications::{Mailer, Notifier};
use crate::transaction_log::LogBus;
use crate::web_connector;
use crate::web_connector::progress::ProgressBus;

/// What every handler and service call can reach: one pointer, as every request clones it
/// (axum's `State`, the GraphQL context) and cloning twenty shared handles one by one cost a
/// measurable share of a small request.
#[derive(Clone)]
pub struct AppState(Arc<AppParts>);

impl std::ops::Deref for AppState {
    type Target = AppParts;

    fn deref(&self) -> &AppParts {
        &self.0
    }
}

impl From<AppParts> for AppState {
    fn from(parts: AppParts) -> Self {
        Self(Arc::new(parts))
    }
}

/// The parts of [`AppState`].
pub struct AppParts {
    pub db: DatabaseConnection,
    /// Where the Web Connector's calls run (see [`db::connect_for_web_connector`]).
    pub web_connector_db: DatabaseConnection,
    pub keys: Arc<AuthKeys>,
    /// Accounts a token was recently checked against (see [`crate::accounts::known`]).
    pub known_accounts: Arc<crate::accounts::KnownAccounts>,
    pub log_bus: LogBus,
    pub progress_bus: ProgressBus,
    pub inventory_bus: InventoryBus,
    pub sales_bus: crate::quickbooks_sales::SalesBus,
    /// Woken when a webhook delivery is stored, for the intake worker to act on it.
    pub intake_wake: Arc<tokio::sync::Notify>,
    /// Turns for the heaviest writers on SQLite (see [`db::WriteGate`]).
    pub write_gate: db::WriteGate,
    /// Stores the wizard's steps with their log entries, many per commit on SQLite.
    pub step_writer: crate::wizard::step_writer::StepWriter,
    /// Whose each connection is (see [`crate::connections::owners`]).
    pub connection_owners: Arc<crate::connections::ConnectionOwners>,
    /// Stores webhook deliveries, many per commit.
    pub intake: crate::webhooks::intake_writer::IntakeWriter,
    /// What the requests read from the deliveries they stored, for the intake worker.
    pub intake_handover: Arc<crate::webhooks::handover::Handover>,
    /// `None` when email is not configured.
    pub mailer: Option<Mailer>,
    /// What running Web Connector sessions map orders with, kept between their calls.
    pub sync_contexts: Arc<crate::web_connector::SyncContexts>,
    /// The stores webhooks arrive for, kept between deliveries.
    pub webhook_stores: Arc<crate::webhooks::store_cache::StoreCache>,
    pub config: Arc<Config>,
}

/// The router's state: the application plus its GraphQL schemas (which themselves hold the
/// application, so the two are kept side by side rather than one inside the other).
#[derive(Clone)]
pub struct HttpState {
    pub app: AppState,
    /// The schema with every validation rule (`full`: websockets, batches, documents seen
    /// first), and the one for documents known to pass them.
    pub schemas: graphql::Schemas,
    /// GraphQL documents already parsed, by their text.
    pub documents: Arc<graphql::ParsedDocuments>,
}

impl AppParts {
    /// What sends and records notification emails.
    pub fn notifier(&self) -> Notifier {
        Notifier {
            db: self.db.clone(),
            bus: self.log_bus.clone(),
            mailer: self.mailer.clone(),
            public_url: self.config.public_url.clone(),
            retry_base: self.config.notification_retry,
        }
    }

    /// How long a Web Connector session holds its connection without a call.
    pub fn web_connector_lease(&self) -> chrono::Duration {
        // Only a lease beyond chrono's range (millions of years) fails to convert; it falls back
        // to the default rather than overflow the date it is added to.
        chrono::Duration::from_std(self.config.web_connector_lease).unwrap_or(chrono::Duration::minutes(5))
    }
}

impl FromRef<HttpState> for AppState {
    fn from_ref(state: &HttpState) -> Self {
        state.app.clone()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Database(#[from] DbSetupError),
    #[error("cannot load the token signing secret: {0}")]
    Secret(#[source] ServiceError),
    #[error("cannot use the email settings: {0}")]
    Mail(#[source] crate::notifications::MailError),
    #[error("cannot hear the other replicas (LISTEN on PostgreSQL): {0}")]
    Listen(#[source] sea_orm::sqlx::Error),
    #[error("cannot listen on {address}: {source}")]
    Bind { address: String, source: std::io::Error },
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
    /// On PostgreSQL: this replica's exchange of live events with the others.
    replicas: Option<crate::replicas::Replicas>,
    /// On a SQLite file: where the checkpoints are taken (see [`crate::db_checkpoints`]).
    checkpoints_db: Option<sea_orm::DatabaseConnection>,
}

impl Application {
    /// Opens and migrates the database, loads the signing secret and binds the listener.
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        tracing::info!(database = %redact_url(&config.database_url), "opening the database");
        let db = db::connect(&config.database_url).await?;
        db::migrate(&db).await?;
        let web_connector_db = db::connect_for_web_connector(&config.database_url, &db).await?;
        let checkpoints_db = db::connect_for_checkpoints(&config.database_url).await?;
        let secret = match &config.jwt_secret {
            Some(secret) => secret.clone(),
            None => load_or_create_jwt_secret(&db).await.map_err(StartupError::Secret)?,
        };
        let keys = Arc::new(AuthKeys::new(secret.as_bytes(), config.access_token_ttl, config.refresh_token_ttl));
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|source| StartupError::Bind { address: config.listen.to_string(), source })?;
        let mut config = config;
        // Listening on port 0 picks a free port; the default public URL must name the real one.
        if let (Some(base), Ok(address)) = (config.public_url.strip_suffix(":0"), listener.local_addr()) {
            config.public_url = format!("{base}:{}", address.port());
        }
        let mailer = match &config.smtp {
            Some(smtp) => Some(Mailer::new(smtp).map_err(StartupError::Mail)?),
            None => {
                tracing::warn!(
                    "email is not configured: notifications are recorded but not sent (set [smtp] in the config file, \
                     or LEDGERBRIDGE_SMTP_HOST and LEDGERBRIDGE_MAIL_FROM)"
                );
                None
            }
        };
        let write_gate = db::WriteGate::for_database(&db);
        let intake_wake: Arc<tokio::sync::Notify> = Arc::default();
        let intake =
            crate::webhooks::intake_writer::IntakeWriter::spawn(db.clone(), write_gate.clone(), intake_wake.clone());
        let (log_bus, progress_bus, mut replicas) = crate::replicas::buses(&db);
        if let Some(replicas) = replicas.as_mut() {
            replicas.listen(&db).await.map_err(StartupError::Listen)?;
        }
        let step_writer_db = db::connect_own(&config.database_url, &db).await?;
        let step_writer = crate::wizard::step_writer::StepWriter::spawn(
            db.clone(),
            &step_writer_db,
            write_gate.clone(),
            log_bus.clone(),
        );
        let state = AppState::from(AppParts {
            db,
            web_connector_db,
            write_gate,
            keys,
            known_accounts: Arc::default(),
            log_bus,
            progress_bus,
            inventory_bus: InventoryBus::new(),
            sales_bus: crate::quickbooks_sales::SalesBus::new(),
            intake_wake,
            step_writer,
            connection_owners: Arc::default(),
            intake,
            intake_handover: Arc::default(),
            mailer,
            sync_contexts: Arc::default(),
            webhook_stores: Arc::default(),
            config: Arc::new(config),
        });
        let router = router(state.clone());
        Ok(Self { listener, router, state, replicas, checkpoints_db })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// The URL the server is reached at (with the real port when it listens on port 0).
    pub fn public_url(&self) -> &str {
        &self.state.config.public_url
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let state = &self.state;
        let deliveries = crate::inventory::push::spawn_worker(state.db.clone(), state.log_bus.clone());
        let intake = crate::webhooks::worker::spawn(
            state.db.clone(),
            state.log_bus.clone(),
            state.intake_wake.clone(),
            state.write_gate.clone(),
            state.intake_handover.clone(),
        );
        let notifier = crate::notifications::worker::spawn(state.notifier(), state.config.notification_interval);
        let checkpoints = self.checkpoints_db.map(crate::db_checkpoints::spawn);
        let exchange = match self.replicas {
            Some(replicas) => replicas.spawn(state.db.clone(), state.log_bus.clone(), state.progress_bus.clone()),
            None => Vec::new(),
        };
        // Small answers (a websocket event, a SOAP reply) go out at once: with Nagle's
        // algorithm a second small write waits for the client's delayed ACK, ~40 ms.
        let listener = self.listener.tap_io(|stream| {
            if let Err(err) = stream.set_nodelay(true) {
                tracing::debug!(error = %err, "could not set TCP_NODELAY on a connection");
            }
        });
        let served = axum::serve(listener, self.router).with_graceful_shutdown(shutdown).await;
        for task in exchange {
            task.abort();
        }
        deliveries.abort();
        intake.abort();
        notifier.abort();
        if let Some(checkpoints) = checkpoints {
            checkpoints.abort();
        }
        served
    }
}

fn router(app: AppState) -> Router {
    let max_body = app.config.max_body_bytes;
    let dashboard_dir = app.config.dashboard_dir.clone();
    let state = HttpState { schemas: graphql::build_schemas(app.clone()), app, documents: Arc::default() };
    // Each part carries its own body limit: the Web Connector's answers can be megabytes,
    // nothing a merchant or partner sends should be.
    let mut api = Router::new()
        .merge(graphql::routes::router())
        .merge(http::health::router())
        .merge(web_connector::routes::merchant_router())
        .merge(crate::webhooks::routes::router())
        .layer(DefaultBodyLimit::max(max_body))
        .layer(RequestBodyLimitLayer::new(max_body));
    if state.app.config.bench_endpoints {
        tracing::warn!("serving the benchmark yardsticks at /bench: for measuring only");
        api = api.merge(http::bench::router().layer(DefaultBodyLimit::max(max_body)));
    }
    let routes = Router::new().merge(api).merge(web_connector::routes::router()).with_state(state);
    http::dashboard::serve_from(routes, &dashboard_dir)
        .layer(axum::middleware::map_response(http::refused_body::close_after_refused_body))
        .layer(TraceLayer::new_for_http())
}
