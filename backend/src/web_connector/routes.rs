//! `POST /qbwc` (the Web Connector's SOAP calls), `GET /qbwc?wsdl`, `GET /qbwc/support`, and
//! the merchant's authenticated `.qwc` download.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use tower_http::limit::RequestBodyLimitLayer;

use super::call_unit::CallUnit;
use super::service::{self, AuthOutcome};
use super::soap::{self, WcCall, WcReply};
use super::{qwc, wsdl};
use crate::app::{AppState, HttpState};
use crate::connections::find_owned;
use crate::graphql::RequestAuth;
use crate::graphql::routes::resolve_auth;

/// QuickBooks answers for long lists run to megabytes, and escaping inflates them further.
const MAX_SOAP_BODY: usize = 64 * 1024 * 1024;

pub fn router() -> Router<HttpState> {
    Router::new()
        .route("/qbwc", get(describe).post(call))
        .route("/qbwc/support", get(support))
        .layer(DefaultBodyLimit::max(MAX_SOAP_BODY))
        .layer(RequestBodyLimitLayer::new(MAX_SOAP_BODY))
}

/// The routes that answer to a merchant's token rather than to the Web Connector.
pub fn merchant_router() -> Router<HttpState> {
    Router::new().route("/connections/{id}/qwc", get(download_qwc))
}

fn xml(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
}

#[tracing::instrument(name = "web connector call", skip_all)]
async fn call(State(app): State<AppState>, body: Bytes) -> Response {
    let Ok(text) = std::str::from_utf8(&body) else {
        return xml(StatusCode::BAD_REQUEST, soap::fault(true, "the request body is not UTF-8 text"));
    };
    let call = match soap::parse_call(text) {
        Ok(call) => call,
        Err(err) => {
            tracing::warn!(error = %err, "unreadable Web Connector request");
            return xml(StatusCode::INTERNAL_SERVER_ERROR, soap::fault(true, &err.to_string()));
        }
    };
    match answer(&app, call).await {
        Ok(reply) => xml(StatusCode::OK, soap::render(&reply)),
        Err(err) => {
            tracing::error!(error = ?err, "a Web Connector call failed");
            xml(
                StatusCode::INTERNAL_SERVER_ERROR,
                soap::fault(
                    false,
                    "Ledgerbridge could not handle this call; it has been logged. The next run tries again.",
                ),
            )
        }
    }
}

async fn answer(app: &AppState, call: WcCall) -> Result<WcReply, crate::error::ServiceError> {
    let db = &app.db;
    Ok(match call {
        WcCall::ServerVersion => {
            WcReply::Text { method: "serverVersion", value: format!("Ledgerbridge {}", env!("CARGO_PKG_VERSION")) }
        }
        WcCall::ClientVersion { .. } => WcReply::Text { method: "clientVersion", value: String::new() },
        // Checking the password takes a while by design: no transaction is held open for it.
        WcCall::Authenticate { user_name, password } => {
            let ctx = service::WcContext {
                db,
                log: &app.log_bus,
                progress: &app.progress_bus,
                inventory: &app.inventory_bus,
                sales: &app.sales_bus,
                contexts: &app.sync_contexts,
                lease: app.web_connector_lease(),
            };
            let values = match service::authenticate(&ctx, &user_name, &password).await? {
                AuthOutcome::Work { ticket } => vec![ticket, String::new()],
                AuthOutcome::NoWork { postpone_seconds } => {
                    vec![String::new(), "none".into(), postpone_seconds.to_string()]
                }
                AuthOutcome::Busy => vec![String::new(), "busy".into()],
                AuthOutcome::InvalidUser => vec![String::new(), "nvu".into()],
            };
            WcReply::Strings { method: "authenticate", values }
        }
        WcCall::GetLastError { ticket } => {
            WcReply::Text { method: "getLastError", value: service::get_last_error(db, &ticket).await? }
        }
        session_call => in_one_transaction(app, &session_call).await?,
    })
}

/// A session's step (sendRequestXML, receiveResponseXML, connectionError, closeConnection),
/// run as one transaction. PostgreSQL may end it to break a deadlock with another writer, and
/// the session this replica kept may turn out to be out of date when the call writes it; the
/// call is then run again from the start, which is safe because nothing of it was kept.
async fn in_one_transaction(app: &AppState, call: &WcCall) -> Result<WcReply, crate::error::ServiceError> {
    const TRIES: u32 = 3;
    let mut attempt = 1;
    loop {
        let unit = CallUnit::begin(app).await?;
        let outcome = session_step(&unit.context(app), call).await;
        let outcome = match outcome {
            Ok(reply) => unit.commit(app).await.map(|()| reply).map_err(Into::into),
            Err(err) => {
                if let Err(rollback) = unit.rollback().await {
                    tracing::warn!(error = ?rollback, "a Web Connector call could not be rolled back");
                }
                Err(err)
            }
        };
        if outcome.is_err() {
            // What the session kept in memory during the call may describe what was rolled back.
            app.sync_contexts.forget(call.ticket());
        }
        match outcome {
            Err(crate::error::ServiceError::Database(err)) if crate::db::is_deadlock(&err) && attempt < TRIES => {
                tracing::warn!(attempt, "a Web Connector call met a deadlock; running it again");
                attempt += 1;
            }
            // The session kept from this replica's last call was out of date: another replica
            // answered a call of it meanwhile. Read afresh (the ticket is forgotten above).
            Err(crate::error::ServiceError::Database(sea_orm::DbErr::RecordNotUpdated)) if attempt < TRIES => {
                tracing::debug!(attempt, "a Web Connector session moved between replicas; running the call again");
                attempt += 1;
            }
            outcome => return outcome,
        }
    }
}

async fn session_step(
    ctx: &service::WcContext<'_, impl crate::db::Db>,
    call: &WcCall,
) -> Result<WcReply, crate::error::ServiceError> {
    Ok(match call {
        WcCall::SendRequestXml { ticket, hcp_response, country, major, minor, .. } => WcReply::Text {
            method: "sendRequestXML",
            value: service::send_request_xml(ctx, ticket, hcp_response, country, (*major, *minor)).await?,
        },
        WcCall::ReceiveResponseXml { ticket, response, hresult, message } => WcReply::Number {
            method: "receiveResponseXML",
            value: service::receive_response_xml(ctx, ticket, response, hresult, message).await?,
        },
        WcCall::ConnectionError { ticket, hresult, message } => WcReply::Text {
            method: "connectionError",
            value: service::connection_error(ctx, ticket, hresult, message).await?,
        },
        WcCall::CloseConnection { ticket } => {
            WcReply::Text { method: "closeConnection", value: service::close_connection(ctx, ticket).await? }
        }
        WcCall::ServerVersion
        | WcCall::ClientVersion { .. }
        | WcCall::Authenticate { .. }
        | WcCall::GetLastError { .. } => {
            return Err(crate::error::ServiceError::internal(std::io::Error::other(
                "not a session step: answered outside a transaction",
            )));
        }
    })
}

async fn describe(State(app): State<AppState>, RawQuery(query): RawQuery) -> Response {
    if query.is_some_and(|q| q.eq_ignore_ascii_case("wsdl")) {
        return xml(StatusCode::OK, wsdl::wsdl(&format!("{}/qbwc", app.config.public_url)));
    }
    Html(
        "<!doctype html><title>Ledgerbridge Web Connector endpoint</title><h1>QuickBooks Web Connector endpoint</h1>\
         <p>The QuickBooks Web Connector talks to this address. Add it to the Web Connector with the .qwc file from \
         your Ledgerbridge dashboard. The service description is at <a href=\"/qbwc?wsdl\">/qbwc?wsdl</a>.</p>",
    )
    .into_response()
}

async fn support() -> Html<&'static str> {
    Html(
        "<!doctype html><title>Ledgerbridge support</title><h1>Ledgerbridge</h1>\
         <p>Ledgerbridge sends your web store's orders to QuickBooks. Every run of the Web Connector, with any error \
         and what to do about it, is in the transaction log on <a href=\"/\">your dashboard</a>.</p>",
    )
}

async fn download_qwc(State(app): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let header_value = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let caller = match resolve_auth(&app, header_value).await {
        RequestAuth::Authenticated(caller) => caller,
        RequestAuth::Rejected(reason) => return (StatusCode::UNAUTHORIZED, reason).into_response(),
        RequestAuth::Unchecked => {
            return (StatusCode::SERVICE_UNAVAILABLE, crate::error::ServiceError::Unavailable.to_string())
                .into_response();
        }
        RequestAuth::Anonymous => {
            return (StatusCode::UNAUTHORIZED, "log in first: send Authorization: Bearer <token>").into_response();
        }
    };
    let Ok(id) = uuid::Uuid::parse_str(&id) else {
        return (StatusCode::NOT_FOUND, "connection not found").into_response();
    };
    let connection = match find_owned(&app.db, &caller, id).await {
        Ok(connection) => connection,
        Err(crate::error::ServiceError::NotFound(_)) => {
            return (StatusCode::NOT_FOUND, "connection not found").into_response();
        }
        Err(err) => {
            tracing::error!(error = ?err, "could not load a connection for its .qwc file");
            return (StatusCode::INTERNAL_SERVER_ERROR, "something went wrong on our side; it has been logged")
                .into_response();
        }
    };
    match qwc::qwc_file(&connection, &app.config.public_url) {
        Ok(file) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "application/x-qwc".to_owned()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", qwc::file_name(&connection))),
            ],
            file,
        )
            .into_response(),
        Err(err) => (StatusCode::CONFLICT, err.to_string()).into_response(),
    }
}
