//! The dashboard's one way to the server: GraphQL over HTTP, with the merchant's tokens. An
//! expired access token is refreshed once, quietly; when that fails too the merchant is sent
//! back to log in (the caller keeps where they were).

use graphql_client::{GraphQLQuery, QueryBody};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::operations::{RefreshToken, refresh_token};
use crate::session::{self, Session};

/// Why a request did not give its data.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// Not logged in, or the session ended: log in again.
    Unauthenticated,
    /// The input was refused, field by field (`input.emails` → what is wrong).
    Validation(Vec<(String, String)>),
    /// Anything else, said plainly.
    Other(String),
}

impl ApiError {
    /// The message to show beside a form or in a page's error state.
    pub fn message(&self) -> String {
        match self {
            ApiError::Unauthenticated => "Your session has ended. Please log in again.".to_owned(),
            ApiError::Validation(problems) => {
                problems.iter().map(|(_, message)| message.clone()).collect::<Vec<_>>().join(" ")
            }
            ApiError::Other(message) => message.clone(),
        }
    }

    /// The problem with one field of a refused input, if any.
    pub fn field(&self, field: &str) -> Option<String> {
        match self {
            ApiError::Validation(problems) => problems.iter().find(|(f, _)| f == field).map(|(_, m)| m.clone()),
            _ => None,
        }
    }
}

#[derive(Deserialize)]
struct Answer {
    data: Option<Value>,
    #[serde(default)]
    errors: Vec<GraphqlError>,
}

#[derive(Deserialize)]
struct GraphqlError {
    message: String,
    #[serde(default)]
    extensions: Option<Extensions>,
}

#[derive(Deserialize)]
struct Extensions {
    code: Option<String>,
    #[serde(default)]
    fields: Vec<FieldProblem>,
}

#[derive(Deserialize)]
struct FieldProblem {
    field: String,
    message: String,
}

async fn post<V: serde::Serialize>(body: &QueryBody<V>, token: Option<&str>) -> Result<Answer, ApiError> {
    let mut request = gloo_net::http::Request::post("/graphql");
    if let Some(token) = token {
        request = request.header("Authorization", &format!("Bearer {token}"));
    }
    let response = request.json(body).map_err(|err| ApiError::Other(err.to_string()))?.send().await.map_err(|_| {
        ApiError::Other("The server cannot be reached. Check your connection and try again.".to_owned())
    })?;
    response
        .json::<Answer>()
        .await
        .map_err(|_| ApiError::Other(format!("The server answered {} unexpectedly.", response.status())))
}

fn error_of(errors: Vec<GraphqlError>) -> ApiError {
    let code = errors.first().and_then(|e| e.extensions.as_ref()).and_then(|x| x.code.clone());
    match code.as_deref() {
        Some("UNAUTHENTICATED") => ApiError::Unauthenticated,
        Some("VALIDATION") => {
            let mut problems = Vec::new();
            for error in errors {
                match error.extensions.map(|x| x.fields).filter(|f| !f.is_empty()) {
                    Some(fields) => problems.extend(fields.into_iter().map(|f| (f.field, f.message))),
                    None => problems.push((String::new(), error.message)),
                }
            }
            ApiError::Validation(problems)
        }
        _ => ApiError::Other(errors.into_iter().map(|e| e.message).collect::<Vec<_>>().join(" ")),
    }
}

/// Runs an operation as the logged-in merchant and reads its `data`.
pub async fn request<Q: GraphQLQuery>(variables: Q::Variables) -> Result<Q::ResponseData, ApiError> {
    let body = Q::build_query(variables);
    let mut session = session::load().ok_or(ApiError::Unauthenticated)?;
    let mut answer = post(&body, Some(&session.access_token)).await?;
    let expired = answer.errors.first().and_then(|e| e.extensions.as_ref()).and_then(|x| x.code.as_deref())
        == Some("UNAUTHENTICATED");
    if expired {
        session = refresh(&session).await?;
        answer = post(&body, Some(&session.access_token)).await?;
    }
    data_of(answer)
}

/// Runs an operation that needs no log-in (sign-up, log-in).
pub async fn anonymous<Q: GraphQLQuery>(variables: Q::Variables) -> Result<Q::ResponseData, ApiError> {
    data_of(post(&Q::build_query(variables), None).await?)
}

/// The access token for a websocket subscription, refreshed first when it has expired.
pub async fn access_token() -> Result<String, ApiError> {
    let session = session::load().ok_or(ApiError::Unauthenticated)?;
    if session::expired(&session) { Ok(refresh(&session).await?.access_token) } else { Ok(session.access_token) }
}

fn data_of<T: DeserializeOwned>(answer: Answer) -> Result<T, ApiError> {
    if !answer.errors.is_empty() {
        return Err(error_of(answer.errors));
    }
    let data = answer.data.ok_or_else(|| ApiError::Other("The server sent an empty answer.".to_owned()))?;
    serde_json::from_value(data)
        .map_err(|err| ApiError::Other(format!("The server's answer was not understood ({err}).")))
}

/// Exchanges the refresh token for a new pair; ends the session when it no longer works.
async fn refresh(session: &Session) -> Result<Session, ApiError> {
    let answer =
        anonymous::<RefreshToken>(refresh_token::Variables { refresh_token: session.refresh_token.clone() }).await;
    match answer {
        Ok(refreshed) => {
            let tokens = refreshed.refresh_token;
            Ok(session::save(tokens.access_token, tokens.refresh_token))
        }
        Err(_) => {
            session::clear();
            Err(ApiError::Unauthenticated)
        }
    }
}
