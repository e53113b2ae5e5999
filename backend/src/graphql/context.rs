//! What each resolver learns from its request: the application and the caller.

use async_graphql::{Context, ID};
use uuid::Uuid;

use super::ApiError;
use crate::accounts::Caller;
use crate::app::AppState;
use crate::error::ServiceError;

/// The outcome of reading a request's bearer token, decided once per request (or per
/// websocket connection) and consulted by every resolver that needs a caller.
#[derive(Debug, Clone)]
pub enum RequestAuth {
    Anonymous,
    Authenticated(Caller),
    /// A token was sent but is not good; the reason is told to resolvers that need a caller.
    Rejected(String),
    /// A token was sent but could not be checked (the database is unreachable): the caller is
    /// told to try again, never to log in again.
    Unchecked,
}

pub fn app<'a>(ctx: &Context<'a>) -> &'a AppState {
    // The schema is always built with the state (see `build_schema`); a schema without it
    // exists only for printing SDL, where no resolver runs.
    ctx.data_unchecked::<AppState>()
}

/// The authenticated caller, or UNAUTHENTICATED with the reason.
pub fn caller(ctx: &Context<'_>) -> Result<Caller, ApiError> {
    match ctx.data_opt::<RequestAuth>() {
        Some(RequestAuth::Authenticated(caller)) => Ok(*caller),
        Some(RequestAuth::Rejected(reason)) => Err(ServiceError::Unauthenticated(reason.clone()).into()),
        Some(RequestAuth::Unchecked) => Err(ServiceError::Unavailable.into()),
        Some(RequestAuth::Anonymous) | None => Err(ServiceError::Unauthenticated(
            "log in first: send `Authorization: Bearer <access token or API token>`".to_owned(),
        )
        .into()),
    }
}

/// An id from outside. A malformed id names nothing, so it is simply not found.
pub fn parse_id(id: &ID, what: &'static str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(id.as_str()).map_err(|_| ServiceError::NotFound(what).into())
}
