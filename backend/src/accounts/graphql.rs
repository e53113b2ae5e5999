//! Sign-up, log-in, tokens and `me` over GraphQL.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::service::{self, AuthSession};
use crate::entities::{api_token, merchant};
use crate::graphql::{ApiResult, app, caller, parse_id};

#[derive(SimpleObject)]
pub struct Merchant {
    pub id: ID,
    pub email: String,
    pub time_zone: String,
    pub created_at: DateTime<Utc>,
}

impl From<merchant::Model> for Merchant {
    fn from(m: merchant::Model) -> Self {
        Self { id: ID(m.id.to_string()), email: m.email, time_zone: m.time_zone, created_at: m.created_at }
    }
}

#[derive(SimpleObject)]
pub struct AuthPayload {
    /// Send as `Authorization: Bearer <accessToken>`; it expires after a few minutes.
    pub access_token: String,
    pub access_token_expires_at: DateTime<Utc>,
    /// Exchange for a new pair with `refreshToken`; each refresh token works once.
    pub refresh_token: String,
    pub refresh_token_expires_at: DateTime<Utc>,
    pub merchant: Merchant,
}

impl From<AuthSession> for AuthPayload {
    fn from(s: AuthSession) -> Self {
        Self {
            access_token: s.access_token,
            access_token_expires_at: s.access_token_expires_at,
            refresh_token: s.refresh_token,
            refresh_token_expires_at: s.refresh_token_expires_at,
            merchant: s.merchant.into(),
        }
    }
}

/// A partner API token as listed: the secret itself is shown only once, at creation.
#[derive(SimpleObject)]
pub struct ApiToken {
    pub id: ID,
    pub name: String,
    /// The token's first characters, to recognise it.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<api_token::Model> for ApiToken {
    fn from(t: api_token::Model) -> Self {
        Self {
            id: ID(t.id.to_string()),
            name: t.name,
            prefix: t.prefix,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        }
    }
}

#[derive(SimpleObject)]
pub struct CreatedApiToken {
    /// The secret token. Store it now: it cannot be shown again.
    pub token: String,
    pub api_token: ApiToken,
}

#[derive(Default)]
pub struct AccountsQuery;

#[Object]
impl AccountsQuery {
    /// The merchant the token belongs to.
    async fn me(&self, ctx: &Context<'_>) -> ApiResult<Merchant> {
        Ok(service::me(&app(ctx).db, &caller(ctx)?).await?.into())
    }

    /// The merchant's partner API tokens, newest first (merchant log-in only).
    async fn api_tokens(&self, ctx: &Context<'_>) -> ApiResult<Vec<ApiToken>> {
        let tokens = service::list_api_tokens(&app(ctx).db, &caller(ctx)?).await?;
        Ok(tokens.into_iter().map(Into::into).collect())
    }
}

#[derive(Default)]
pub struct AccountsMutation;

#[Object]
impl AccountsMutation {
    /// Creates a merchant account and logs it in.
    async fn sign_up(&self, ctx: &Context<'_>, email: String, password: String) -> ApiResult<AuthPayload> {
        let app = app(ctx);
        Ok(service::sign_up(&app.db, &app.keys, &email, &password).await?.into())
    }

    async fn log_in(&self, ctx: &Context<'_>, email: String, password: String) -> ApiResult<AuthPayload> {
        let app = app(ctx);
        Ok(service::log_in(&app.db, &app.keys, &email, &password).await?.into())
    }

    /// Exchanges a refresh token for a new access token and refresh token.
    async fn refresh_token(&self, ctx: &Context<'_>, refresh_token: String) -> ApiResult<AuthPayload> {
        let app = app(ctx);
        Ok(service::refresh(&app.db, &app.keys, &refresh_token).await?.into())
    }

    /// Ends a log-in session: its refresh token stops working.
    async fn log_out(&self, ctx: &Context<'_>, refresh_token: String) -> ApiResult<bool> {
        service::log_out(&app(ctx).db, &refresh_token).await?;
        Ok(true)
    }

    /// Sets the merchant's time zone (an IANA name such as `America/New_York`): daily emails
    /// go at their local time in it.
    async fn set_time_zone(&self, ctx: &Context<'_>, time_zone: String) -> ApiResult<Merchant> {
        Ok(service::set_time_zone(&app(ctx).db, &caller(ctx)?, &time_zone).await?.into())
    }

    /// Creates a partner API token (merchant log-in only). The token is in the answer, once.
    async fn create_api_token(&self, ctx: &Context<'_>, name: String) -> ApiResult<CreatedApiToken> {
        let (token, model) = service::create_api_token(&app(ctx).db, &caller(ctx)?, &name).await?;
        Ok(CreatedApiToken { token, api_token: model.into() })
    }

    async fn revoke_api_token(&self, ctx: &Context<'_>, id: ID) -> ApiResult<ApiToken> {
        let id = parse_id(&id, "API token")?;
        Ok(service::revoke_api_token(&app(ctx).db, &caller(ctx)?, id).await?.into())
    }
}
