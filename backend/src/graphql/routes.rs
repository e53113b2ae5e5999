//! `/graphql` over HTTP (queries and mutations, GraphiQL) and `/graphql/ws` (subscriptions,
//! graphql-transport-ws with the token in `connection_init`).

use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, GraphiQLSource};
use async_graphql::{BatchRequest, BatchResponse, Data};
use async_graphql_axum::{GraphQLProtocol, GraphQLResponse, GraphQLWebSocket};
use axum::Router;
use axum::extract::{State, WebSocketUpgrade};
use axum::http::{HeaderMap, header::AUTHORIZATION};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use super::request_body::GraphQLBody;
use super::{AppSchema, RequestAuth};
use crate::accounts::service::authenticate_bearer;
use crate::app::{AppState, HttpState};
use crate::error::ServiceError;

pub fn router() -> Router<HttpState> {
    Router::new().route("/graphql", get(graphiql).post(execute)).route("/graphql/ws", get(subscriptions))
}

async fn graphiql() -> Html<String> {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .subscription_endpoint("/graphql/ws")
            .title("Ledgerbridge API")
            .finish(),
    )
}

/// A batch (a JSON array of operations) may hold this many; a larger one is refused whole,
/// before any of it runs.
pub const MAX_BATCH: usize = 10;

#[tracing::instrument(name = "graphql request", skip_all)]
async fn execute(State(state): State<HttpState>, headers: HeaderMap, GraphQLBody(mut batch): GraphQLBody) -> Response {
    if let BatchRequest::Batch(operations) = &batch
        && operations.len() > MAX_BATCH
    {
        return refused(
            "BATCH_TOO_LARGE",
            format!("a batch may hold at most {MAX_BATCH} operations; this one holds {}", operations.len()),
        );
    }
    let kept: Vec<_> = batch.iter_mut().map(|operation| state.documents.prepare(operation)).collect();
    // Refused whole, as a batch too large is: none of it runs.
    if batch.iter_mut().any(super::nul_text::holds_nul) {
        return refused("VALIDATION", "text may not hold the NUL character (U+0000); nothing was done".to_owned());
    }
    let header = headers.get(AUTHORIZATION).map(|v| v.to_str().unwrap_or("<not text>"));
    let auth = resolve_auth(&state.app, header).await;
    let response = match (batch, kept.as_slice()) {
        (BatchRequest::Single(request), [Some(kept)]) => {
            BatchResponse::Single(super::known_valid::execute(&state.schemas, kept, request.data(auth)).await)
        }
        (batch, _) => state.schemas.full.execute_batch(batch.data(auth)).await,
    };
    GraphQLResponse::from(response).into_response()
}

/// An answer of one error with its `code`, for a request refused before any of it ran.
fn refused(code: &str, message: String) -> Response {
    let mut error = async_graphql::ServerError::new(message, None);
    error.extensions = Some({
        let mut extensions = async_graphql::ErrorExtensionValues::default();
        extensions.set("code", code);
        extensions
    });
    GraphQLResponse::from(async_graphql::Response::from_errors(vec![error])).into_response()
}

async fn subscriptions(
    State(state): State<HttpState>,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    let schema: AppSchema = state.schemas.full.clone();
    let app = state.app.clone();
    // A client only ever sends small control messages (init, subscribe, complete).
    crate::http::small_websocket_buffers(upgrade)
        .max_message_size(64 * 1024)
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            GraphQLWebSocket::new(socket, schema, protocol)
                .on_connection_init(move |payload| async move {
                    let auth = resolve_auth(&app, token_from_init_payload(&payload).as_deref()).await;
                    let mut data = Data::default();
                    data.insert(auth);
                    Ok(data)
                })
                .serve()
        })
        .into_response()
}

/// Accepts `{"authorization": "Bearer …"}` (any case) or `{"token": "…"}`, as the common
/// GraphQL websocket clients send it.
fn token_from_init_payload(payload: &serde_json::Value) -> Option<String> {
    let object = payload.as_object()?;
    object.iter().find_map(|(key, value)| {
        let text = value.as_str()?;
        match key.to_ascii_lowercase().as_str() {
            "authorization" => Some(text.to_owned()),
            "token" | "accesstoken" => Some(format!("Bearer {text}")),
            _ => None,
        }
    })
}

/// Reads an `Authorization` header value into the request's [`RequestAuth`].
pub async fn resolve_auth(app: &AppState, header: Option<&str>) -> RequestAuth {
    let Some(header) = header else {
        return RequestAuth::Anonymous;
    };
    let Some(token) = header.strip_prefix("Bearer ").or_else(|| header.strip_prefix("bearer ")).map(str::trim) else {
        return RequestAuth::Rejected("the Authorization header must be `Bearer <token>`".to_owned());
    };
    match authenticate_bearer(&app.db, &app.keys, &app.known_accounts, token).await {
        Ok(caller) => RequestAuth::Authenticated(caller),
        Err(ServiceError::Unauthenticated(reason)) => RequestAuth::Rejected(reason),
        Err(err) => {
            tracing::error!(error = ?err, "could not check a bearer token");
            RequestAuth::Unchecked
        }
    }
}

#[cfg(test)]
mod tests {
    use super::token_from_init_payload;
    use serde_json::json;

    #[test]
    fn the_token_is_found_in_the_usual_connection_init_shapes() {
        assert_eq!(token_from_init_payload(&json!({"Authorization": "Bearer abc"})).as_deref(), Some("Bearer abc"));
        assert_eq!(token_from_init_payload(&json!({"token": "abc"})).as_deref(), Some("Bearer abc"));
        assert_eq!(token_from_init_payload(&json!({"other": 1})), None);
        assert_eq!(token_from_init_payload(&json!(null)), None);
    }
}
