//! Email: the daily transaction-log digest, alerts (records created by a run, the Web
//! Connector gone quiet and back) and test messages, recorded once each and sent over SMTP.
mod compose;
pub mod graphql;
mod mailer;
mod schedule;
pub mod service;
pub mod worker;

pub use mailer::{MailError, Mailer};
pub use service::{NotificationKind, NotificationStatus, Notifier};
