//! Account rules over the database: no GraphQL or HTTP types here.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set, sea_query::OnConflict,
};
use uuid::Uuid;

use super::known::KnownAccounts;
use super::password::{PasswordError, hash_password_blocking, verify_password_blocking};
use super::throttle;
use super::tokens::{
    API_TOKEN_PREFIX, AccessTokenError, AuthKeys, REFRESH_TOKEN_PREFIX, random_secret, random_token, token_hash,
};
use crate::domain::Email;
use crate::entities::{api_token, merchant, refresh_token, server_secret};
use crate::error::{ServiceError, ServiceResult, conflict_on_unique};

/// The authenticated party behind a request. Every service that touches a merchant's data
/// takes one, and scopes its queries by [`Caller::merchant_id`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub merchant_id: Uuid,
    pub kind: CallerKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallerKind {
    /// The merchant, logged in to the dashboard.
    Session,
    /// A partner script using one of the merchant's API tokens.
    ApiToken(Uuid),
}

impl Caller {
    /// Managing API tokens is the merchant's own business: a partner token may not mint more.
    pub fn require_session(&self) -> ServiceResult<()> {
        match self.kind {
            CallerKind::Session => Ok(()),
            CallerKind::ApiToken(_) => Err(ServiceError::Forbidden(
                "API tokens can only be managed by the merchant after logging in".to_owned(),
            )),
        }
    }
}

/// What a successful log-in, sign-up or refresh hands back.
#[derive(Debug, Clone)]
pub struct AuthSession {
    pub access_token: String,
    pub access_token_expires_at: DateTime<Utc>,
    pub refresh_token: String,
    pub refresh_token_expires_at: DateTime<Utc>,
    pub merchant: merchant::Model,
}

const JWT_SECRET_NAME: &str = "jwt_signing_secret";
/// Verified when an email is unknown, so a wrong email costs as long as a wrong password.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0dGm7PjS4ZbZxH7hE4y5bXg8e3mBvkXkq0n7y8vQmYw";

fn password_field_error(field: &str, err: PasswordError) -> ServiceError {
    match err {
        PasswordError::Hash(_) => ServiceError::internal(err),
        other => ServiceError::invalid(field, format!("the password {other}")),
    }
}

pub async fn sign_up(
    db: &DatabaseConnection,
    keys: &AuthKeys,
    email: &str,
    password: &str,
) -> ServiceResult<AuthSession> {
    let email = Email::parse(email).map_err(|err| ServiceError::invalid("email", err.to_string()))?;
    let password_hash =
        hash_password_blocking(password.to_owned()).await.map_err(|err| password_field_error("password", err))?;
    let merchant = merchant::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(email.as_str().to_owned()),
        password_hash: Set(password_hash),
        time_zone: Set("UTC".to_owned()),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await
    .map_err(|err| conflict_on_unique(err, "an account with this email already exists"))?;
    start_session(db, keys, merchant).await
}

pub async fn log_in(
    db: &DatabaseConnection,
    keys: &AuthKeys,
    email: &str,
    password: &str,
) -> ServiceResult<AuthSession> {
    let wrong = || ServiceError::Unauthenticated("wrong email or password".to_owned());
    let throttle_key = throttle::key(email);
    throttle::check(db, &throttle_key, Utc::now()).await?;
    let found = match Email::parse(email) {
        Ok(email) => merchant::Entity::find().filter(merchant::Column::Email.eq(email.as_str())).one(db).await?,
        Err(_) => None,
    };
    let stored = found.as_ref().map_or(DUMMY_HASH, |m| m.password_hash.as_str()).to_owned();
    let matches = verify_password_blocking(password.to_owned(), stored).await;
    match found {
        Some(merchant) if matches => {
            throttle::succeeded(db, &throttle_key).await?;
            start_session(db, keys, merchant).await
        }
        _ => {
            throttle::failed(db, &throttle_key, Utc::now()).await?;
            Err(wrong())
        }
    }
}

/// Exchanges a refresh token for a new access token and a new refresh token; the old refresh
/// token stops working, so a stolen one is good for one use at most.
pub async fn refresh(db: &DatabaseConnection, keys: &AuthKeys, token: &str) -> ServiceResult<AuthSession> {
    let invalid =
        || ServiceError::Unauthenticated("the refresh token is not valid or has expired: log in again".to_owned());
    let row = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(token_hash(token)))
        .one(db)
        .await?
        .ok_or_else(invalid)?;
    let now = Utc::now();
    if row.revoked_at.is_some() || row.expires_at <= now {
        return Err(invalid());
    }
    // Revoke only if still unrevoked: of two concurrent refreshes with one token, one wins.
    let revoked = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, sea_orm::sea_query::Expr::value(now))
        .filter(refresh_token::Column::Id.eq(row.id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    if revoked.rows_affected != 1 {
        return Err(invalid());
    }
    let merchant = merchant::Entity::find_by_id(row.merchant_id).one(db).await?.ok_or_else(invalid)?;
    start_session(db, keys, merchant).await
}

/// Ends a log-in session by revoking its refresh token. Unknown tokens are ignored.
pub async fn log_out(db: &DatabaseConnection, token: &str) -> ServiceResult<()> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, sea_orm::sea_query::Expr::value(Utc::now()))
        .filter(refresh_token::Column::TokenHash.eq(token_hash(token)))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

async fn start_session(
    db: &DatabaseConnection,
    keys: &AuthKeys,
    merchant: merchant::Model,
) -> ServiceResult<AuthSession> {
    let now = Utc::now();
    let (access_token, access_token_expires_at) = keys.issue_access_token(merchant.id, now);
    let refresh_token = random_token(REFRESH_TOKEN_PREFIX);
    let refresh_token_expires_at =
        now + chrono::Duration::from_std(keys.refresh_ttl).unwrap_or(chrono::Duration::days(30));
    refresh_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        merchant_id: Set(merchant.id),
        token_hash: Set(token_hash(&refresh_token)),
        expires_at: Set(refresh_token_expires_at),
        created_at: Set(now),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(AuthSession { access_token, access_token_expires_at, refresh_token, refresh_token_expires_at, merchant })
}

/// Works out who sent a bearer token: a partner API token or a merchant's access token.
pub async fn authenticate_bearer(
    db: &DatabaseConnection,
    keys: &AuthKeys,
    known: &KnownAccounts,
    token: &str,
) -> ServiceResult<Caller> {
    if token.starts_with(API_TOKEN_PREFIX) {
        let row = api_token::Entity::find()
            .filter(api_token::Column::TokenHash.eq(token_hash(token)))
            .filter(api_token::Column::RevokedAt.is_null())
            .one(db)
            .await?
            .ok_or_else(|| ServiceError::Unauthenticated("the API token is not valid or was revoked".to_owned()))?;
        let now = Utc::now();
        // Recording every use would turn each read into a write; once a minute is plenty.
        if row.last_used_at.is_none_or(|t| now - t > chrono::Duration::minutes(1)) {
            let mut active: api_token::ActiveModel = row.clone().into();
            active.last_used_at = Set(Some(now));
            active.update(db).await?;
        }
        return Ok(Caller { merchant_id: row.merchant_id, kind: CallerKind::ApiToken(row.id) });
    }
    let merchant_id = keys.verify_access_token(token).map_err(|err| match err {
        AccessTokenError::Expired | AccessTokenError::Invalid => ServiceError::Unauthenticated(err.to_string()),
    })?;
    // A token outliving its account (deleted merchant) must not authenticate.
    if !known.exists(db, merchant_id).await? {
        return Err(ServiceError::Unauthenticated("the account behind this token no longer exists".to_owned()));
    }
    Ok(Caller { merchant_id, kind: CallerKind::Session })
}

pub async fn me(db: &DatabaseConnection, caller: &Caller) -> ServiceResult<merchant::Model> {
    merchant::Entity::find_by_id(caller.merchant_id).one(db).await?.ok_or(ServiceError::NotFound("merchant"))
}

/// Creates a partner API token; the token itself is returned once and never stored.
pub async fn create_api_token(
    db: &DatabaseConnection,
    caller: &Caller,
    name: &str,
) -> ServiceResult<(String, api_token::Model)> {
    caller.require_session()?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ServiceError::invalid("name", "give the token a name of 1 to 100 characters"));
    }
    let token = random_token(API_TOKEN_PREFIX);
    let model = api_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        merchant_id: Set(caller.merchant_id),
        name: Set(name.to_owned()),
        token_hash: Set(token_hash(&token)),
        prefix: Set(token.chars().take(API_TOKEN_PREFIX.len() + 6).collect()),
        created_at: Set(Utc::now()),
        last_used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok((token, model))
}

pub async fn list_api_tokens(db: &DatabaseConnection, caller: &Caller) -> ServiceResult<Vec<api_token::Model>> {
    caller.require_session()?;
    Ok(api_token::Entity::find()
        .filter(api_token::Column::MerchantId.eq(caller.merchant_id))
        .order_by_desc(api_token::Column::CreatedAt)
        .all(db)
        .await?)
}

pub async fn revoke_api_token(db: &DatabaseConnection, caller: &Caller, id: Uuid) -> ServiceResult<api_token::Model> {
    caller.require_session()?;
    let row = api_token::Entity::find_by_id(id)
        .filter(api_token::Column::MerchantId.eq(caller.merchant_id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("API token"))?;
    if row.revoked_at.is_some() {
        return Ok(row);
    }
    let mut active: api_token::ActiveModel = row.into();
    active.revoked_at = Set(Some(Utc::now()));
    Ok(active.update(db).await?)
}

/// The access-token signing secret: from config when given, else the one stored in the
/// database, created by whichever replica starts first.
pub async fn load_or_create_jwt_secret(db: &DatabaseConnection) -> ServiceResult<String> {
    let candidate = server_secret::ActiveModel {
        name: Set(JWT_SECRET_NAME.to_owned()),
        value: Set(random_secret()),
        created_at: Set(Utc::now()),
    };
    server_secret::Entity::insert(candidate)
        .on_conflict(OnConflict::column(server_secret::Column::Name).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    server_secret::Entity::find_by_id(JWT_SECRET_NAME.to_owned())
        .one(db)
        .await?
        .map(|row| row.value)
        .ok_or(ServiceError::NotFound("signing secret"))
}

/// Sets the caller's time zone, given as an IANA name.
pub async fn set_time_zone(
    db: &DatabaseConnection,
    caller: &Caller,
    time_zone: &str,
) -> ServiceResult<merchant::Model> {
    let zone: chrono_tz::Tz = time_zone.trim().parse().map_err(|_| {
        ServiceError::invalid("timeZone", "not a time zone name such as America/New_York or Europe/London")
    })?;
    let found =
        merchant::Entity::find_by_id(caller.merchant_id).one(db).await?.ok_or(ServiceError::NotFound("merchant"))?;
    let mut active: merchant::ActiveModel = found.into();
    active.time_zone = sea_orm::Set(zone.name().to_owned());
    Ok(active.update(db).await?)
}
