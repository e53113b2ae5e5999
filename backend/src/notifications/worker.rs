//! The notifier's loop: record what has come due, send what waits, on a steady beat.

use std::time::Duration;

use chrono::Utc;

use super::service::Notifier;

/// Runs until the process stops. Errors are logged and the loop goes on: a database or mail
/// server away for a while delays messages, it loses none.
pub fn spawn(notifier: Notifier, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(err) = notifier.record_due(Utc::now()).await {
                tracing::warn!(error = %err, "notifications due could not be recorded; trying again");
            }
            if let Err(err) = notifier.deliver_due(Utc::now()).await {
                tracing::warn!(error = %err, "notifications could not be sent; trying again");
            }
        }
    })
}
