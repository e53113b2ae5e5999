//! Connections over GraphQL.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::service;
use crate::entities::qb_connection;
use crate::error::ServiceError;
use crate::graphql::{ApiResult, app, caller, parse_id};
use crate::web_connector::progress::{self, SyncProgress};
use crate::web_connector::qwc;

/// A QuickBooks company file paired (or being paired) with a Web Connector.
pub struct Connection(pub qb_connection::Model);

#[derive(SimpleObject)]
pub struct CompanyInfo {
    pub name: Option<String>,
    /// US, CA or UK.
    pub country: Option<String>,
    /// The QuickBooks edition, as QuickBooks names it.
    pub edition: Option<String>,
    /// The qbXML versions the company's QuickBooks supports.
    pub qbxml_versions: Vec<String>,
}

#[Object]
impl Connection {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The user name to type into the Web Connector (it is also in the .qwc file).
    async fn web_connector_user_name(&self) -> &str {
        &self.0.wc_username
    }
    async fn has_web_connector_password(&self) -> bool {
        self.0.wc_password_hash.is_some()
    }
    async fn owner_id(&self) -> String {
        self.0.owner_id.to_string()
    }
    async fn file_id(&self) -> String {
        self.0.file_id.to_string()
    }
    /// How often the Web Connector runs, in minutes.
    async fn run_every_minutes(&self) -> i32 {
        self.0.run_every_minutes
    }
    /// What QuickBooks said about the company; null until the first Web Connector contact.
    async fn company(&self) -> Option<CompanyInfo> {
        let c = &self.0;
        (c.company_name.is_some() || c.country.is_some()).then(|| CompanyInfo {
            name: c.company_name.clone(),
            country: c.country.clone(),
            edition: c.edition.clone(),
            qbxml_versions: c
                .qbxml_versions
                .as_deref()
                .map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect())
                .unwrap_or_default(),
        })
    }
    /// When the Web Connector last called.
    async fn last_contact_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_contact_at
    }
    /// Set while the next Web Connector run is asked to re-read the QuickBooks lists.
    async fn lists_refresh_requested_at(&self) -> Option<DateTime<Utc>> {
        self.0.lists_refresh_requested_at
    }
    async fn setup_completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.setup_completed_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The .qwc file to open in the Web Connector. Fails with VALIDATION when this server's
    /// public URL is not https (the Web Connector accepts plain http for localhost only).
    async fn qwc_file(&self, ctx: &Context<'_>) -> ApiResult<String> {
        qwc::qwc_file(&self.0, &app(ctx).config.public_url)
            .map_err(|err| ServiceError::invalid("publicUrl", err.to_string()).into())
    }
    /// The Web Connector's latest session: running or not, and how far it got.
    async fn sync_progress(&self, ctx: &Context<'_>) -> ApiResult<SyncProgress> {
        Ok(progress::current(&app(ctx).db, self.0.id).await?)
    }
    /// Where the .qwc file downloads from (send the same Authorization header).
    async fn qwc_download_path(&self) -> String {
        format!("/connections/{}/qwc", self.0.id)
    }
}

#[derive(InputObject)]
pub struct CreateConnectionInput {
    /// A name for the company file, e.g. "Main company".
    pub name: String,
    /// How often the Web Connector runs (1 to 10080 minutes; 15 when omitted).
    pub run_every_minutes: Option<i32>,
}

#[derive(Default)]
pub struct ConnectionsQuery;

#[Object]
impl ConnectionsQuery {
    async fn connections(&self, ctx: &Context<'_>) -> ApiResult<Vec<Connection>> {
        let list = service::list(&app(ctx).db, &caller(ctx)?).await?;
        Ok(list.into_iter().map(Connection).collect())
    }

    async fn connection(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Connection> {
        let id = parse_id(&id, "connection")?;
        Ok(Connection(service::find_owned(&app(ctx).db, &caller(ctx)?, id).await?))
    }
}

#[derive(Default)]
pub struct ConnectionsMutation;

#[Object]
impl ConnectionsMutation {
    async fn create_connection(&self, ctx: &Context<'_>, input: CreateConnectionInput) -> ApiResult<Connection> {
        let app = app(ctx);
        let created =
            service::create(&app.db, &app.log_bus, &caller(ctx)?, &input.name, input.run_every_minutes).await?;
        Ok(Connection(created))
    }

    /// Sets the password the merchant types into the Web Connector for this connection.
    async fn set_web_connector_password(
        &self,
        ctx: &Context<'_>,
        connection_id: ID,
        password: String,
    ) -> ApiResult<Connection> {
        let app = app(ctx);
        let id = parse_id(&connection_id, "connection")?;
        let updated = service::set_web_connector_password(&app.db, &app.log_bus, &caller(ctx)?, id, &password).await?;
        Ok(Connection(updated))
    }

    /// Changes how often the Web Connector runs (takes effect with a newly downloaded .qwc file).
    async fn set_web_connector_schedule(
        &self,
        ctx: &Context<'_>,
        connection_id: ID,
        run_every_minutes: i32,
    ) -> ApiResult<Connection> {
        let id = parse_id(&connection_id, "connection")?;
        Ok(Connection(service::set_schedule(&app(ctx).db, &caller(ctx)?, id, run_every_minutes).await?))
    }
}
