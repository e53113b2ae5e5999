//! Plain HTTP routes: health checks, the dashboard's files and the benchmark yardsticks.
pub mod bench;
pub mod dashboard;
pub mod health;
pub mod refused_body;

use axum::extract::WebSocketUpgrade;

/// Websocket buffers sized for what our sockets carry. tungstenite's defaults (128 KiB to
/// read and 128 KiB to write, per connection) are made for bulk transfers; a subscription
/// receives a few hundred bytes now and then, and a merchant's dashboards and a partner's
/// scripts may hold a thousand of them open. A larger message still arrives whole: the
/// buffers grow as needed, they only start small.
pub fn small_websocket_buffers(upgrade: WebSocketUpgrade) -> WebSocketUpgrade {
    upgrade.read_buffer_size(4 * 1024).write_buffer_size(4 * 1024)
}
