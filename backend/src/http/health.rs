//! `GET /healthz`: the process is up. `GET /readyz`: it can reach its database.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::app::{AppState, HttpState};
use crate::db;

pub fn router() -> Router<HttpState> {
    Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz))
}

async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

async fn readyz(State(app): State<AppState>) -> (StatusCode, Json<Value>) {
    if db::is_reachable(&app.db).await {
        (StatusCode::OK, Json(json!({ "status": "ready", "database": "reachable" })))
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "not ready", "database": "unreachable" })))
    }
}
