//! `POST /webhooks/{platform}/{storeId}`: where Shopify and WooCommerce send their orders.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use super::service::{self, Delivery};
use crate::app::{AppState, HttpState};

pub fn router() -> Router<HttpState> {
    Router::new().route("/webhooks/{platform}/{store_id}", post(receive))
}

fn header<'a>(headers: &'a HeaderMap, names: &[&str]) -> Option<&'a str> {
    names.iter().find_map(|name| headers.get(*name).and_then(|v| v.to_str().ok()))
}

#[tracing::instrument(name = "store webhook", skip_all, fields(platform = %platform))]
async fn receive(
    State(app): State<AppState>,
    Path((platform, store_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let delivery = Delivery {
        signature: header(&headers, &["x-shopify-hmac-sha256", "x-wc-webhook-signature"]),
        topic: header(&headers, &["x-shopify-topic", "x-wc-webhook-topic"]).unwrap_or(""),
        event_id: header(&headers, &["x-shopify-event-id", "x-shopify-webhook-id", "x-wc-webhook-delivery-id"]),
    };
    match service::receive(&app, &platform, &store_id, delivery, &body).await {
        Ok(answer) => (StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK), answer.message).into_response(),
        Err(err) => {
            // Not acknowledged: the store retries, and nothing is lost.
            tracing::error!(error = ?err, "a webhook could not be stored");
            (StatusCode::SERVICE_UNAVAILABLE, "could not be stored; retry").into_response()
        }
    }
}
