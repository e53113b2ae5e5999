//! Yardsticks for the benchmark suite, served only when `bench_endpoints` is on: what the
//! same server does with no GraphQL, no authentication and no database, so the suite can
//! report our figures as ratios to them, measured by the same client in the same run.
//!
//! - `POST /bench/echo`: answers the JSON body it was sent (parsed and written again).
//! - `GET /bench/broadcast` (websocket) and `POST /bench/broadcast`: every text posted is
//!   sent as it is to every connected websocket, through one tokio broadcast channel.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::Value;
use tokio::sync::broadcast;

#[derive(Clone)]
pub struct BenchState {
    broadcast: broadcast::Sender<Arc<str>>,
}

pub fn router<S>() -> Router<S> {
    let (broadcast, _) = broadcast::channel(1024);
    Router::new()
        .route("/bench/echo", post(echo))
        .route("/bench/broadcast", get(subscribe).post(publish))
        .with_state(BenchState { broadcast })
}

async fn echo(Json(body): Json<Value>) -> Json<Value> {
    Json(body)
}

async fn publish(State(state): State<BenchState>, body: String) -> StatusCode {
    // No receivers is not an error: a benchmark may publish before anyone listens.
    let _ = state.broadcast.send(Arc::from(body));
    StatusCode::NO_CONTENT
}

async fn subscribe(State(state): State<BenchState>, upgrade: WebSocketUpgrade) -> Response {
    let receiver = state.broadcast.subscribe();
    super::small_websocket_buffers(upgrade).on_upgrade(move |socket| forward(socket, receiver))
}

async fn forward(mut socket: WebSocket, mut receiver: broadcast::Receiver<Arc<str>>) {
    loop {
        tokio::select! {
            message = receiver.recv() => match message {
                Ok(text) => {
                    if socket.send(Message::Text(text.as_ref().into())).await.is_err() {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                Some(Ok(_)) => {}
            },
        }
    }
}
