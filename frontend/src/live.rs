//! Live updates: GraphQL subscriptions over the graphql-transport-ws protocol on `/graphql/ws`.
//! A subscription lives as long as its guard; when the connection drops it is opened again
//! (after 1, 2, 4… up to 15 seconds), so a page left open keeps updating.

use std::time::Duration;

use futures::channel::oneshot;
use futures::future::{Either, select};
use futures::{SinkExt, StreamExt};
use gloo_net::websocket::Message;
use gloo_net::websocket::futures::WebSocket;
use graphql_client::GraphQLQuery;
use serde_json::{Value, json};
use yew::Callback;

use crate::api::{self, ApiError};

/// How the live connection stands, for the page to say.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum LiveState {
    Connecting,
    Live,
    /// Dropped; trying again shortly.
    Reconnecting,
}

/// Keeps a subscription running; dropping it closes the connection.
pub struct Subscription {
    _stop: oneshot::Sender<()>,
}

/// Why one connection ended.
enum Ended {
    /// The page went away.
    Stopped,
    /// The session ended: log in again.
    Unauthenticated,
    /// The network or the server dropped it.
    Dropped,
    /// The server refused the subscription itself (say, a connection that is not the
    /// merchant's): trying again would not help.
    Refused(String),
}

/// Starts `Q` and hands each answer to `on_data`, and each change of the connection to
/// `on_state`. An ended session goes to `on_error` once, and the subscription stops.
/// `variables` is asked on every (re)connection, so that a subscription can resume after
/// what it already had.
pub fn subscribe<Q>(
    variables: impl Fn() -> Q::Variables + 'static,
    on_data: Callback<Q::ResponseData>,
    on_state: Callback<LiveState>,
    on_error: Callback<ApiError>,
) -> Subscription
where
    Q: GraphQLQuery + 'static,
    Q::Variables: 'static,
{
    let (stop, mut stopped) = oneshot::channel::<()>();
    wasm_bindgen_futures::spawn_local(async move {
        let mut wait = 1;
        loop {
            on_state.emit(LiveState::Connecting);
            let ended = match api::access_token().await {
                Ok(token) => {
                    let body = serde_json::to_value(Q::build_query(variables())).unwrap_or(Value::Null);
                    run_once::<Q>(&token, &body, &on_data, &on_state, &mut stopped).await
                }
                Err(ApiError::Unauthenticated) => Ended::Unauthenticated,
                Err(_) => Ended::Dropped,
            };
            match ended {
                Ended::Stopped => return,
                Ended::Unauthenticated => {
                    on_error.emit(ApiError::Unauthenticated);
                    return;
                }
                Ended::Refused(message) => {
                    on_error.emit(ApiError::Other(message));
                    return;
                }
                Ended::Dropped => {
                    on_state.emit(LiveState::Reconnecting);
                    let pause = yew::platform::time::sleep(Duration::from_secs(wait));
                    if let Either::Right(_) = select(Box::pin(pause), &mut stopped).await {
                        return;
                    }
                    wait = (wait * 2).min(15);
                }
            }
        }
    });
    Subscription { _stop: stop }
}

fn endpoint() -> Option<String> {
    let location = web_sys::window()?.location();
    let scheme = if location.protocol().ok()? == "https:" { "wss" } else { "ws" };
    Some(format!("{scheme}://{}/graphql/ws", location.host().ok()?))
}

async fn run_once<Q: GraphQLQuery>(
    token: &str,
    body: &Value,
    on_data: &Callback<Q::ResponseData>,
    on_state: &Callback<LiveState>,
    stopped: &mut oneshot::Receiver<()>,
) -> Ended {
    let Some(url) = endpoint() else { return Ended::Dropped };
    let Ok(socket) = WebSocket::open_with_protocol(&url, "graphql-transport-ws") else { return Ended::Dropped };
    let (mut sink, mut stream) = socket.split();
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
    if sink.send(Message::Text(init.to_string())).await.is_err() {
        return Ended::Dropped;
    }
    loop {
        let message = match select(stream.next(), &mut *stopped).await {
            Either::Left((Some(Ok(Message::Text(text))), _)) => text,
            Either::Left((Some(Ok(Message::Bytes(_))), _)) => continue,
            Either::Left(_) => return Ended::Dropped,
            Either::Right(_) => return Ended::Stopped,
        };
        let Ok(message) = serde_json::from_str::<Value>(&message) else { continue };
        match message["type"].as_str() {
            Some("connection_ack") => {
                let subscribe = json!({ "id": "1", "type": "subscribe", "payload": body });
                if sink.send(Message::Text(subscribe.to_string())).await.is_err() {
                    return Ended::Dropped;
                }
                on_state.emit(LiveState::Live);
            }
            Some("ping") => {
                let _ = sink.send(Message::Text(json!({ "type": "pong" }).to_string())).await;
            }
            Some("next") => {
                let payload = &message["payload"];
                let refused = payload["errors"]
                    .as_array()
                    .is_some_and(|errors| errors.iter().any(|e| e["extensions"]["code"] == "UNAUTHENTICATED"));
                if refused {
                    return Ended::Unauthenticated;
                }
                if let Ok(data) = serde_json::from_value::<Q::ResponseData>(payload["data"].clone()) {
                    on_data.emit(data);
                }
            }
            Some("error") => {
                let errors = message["payload"].as_array().cloned().unwrap_or_default();
                if errors.iter().any(|e| e["extensions"]["code"] == "UNAUTHENTICATED") {
                    return Ended::Unauthenticated;
                }
                let text: Vec<&str> = errors.iter().filter_map(|e| e["message"].as_str()).collect();
                return Ended::Refused(text.join(" "));
            }
            Some("complete") => return Ended::Dropped,
            _ => {}
        }
    }
}
