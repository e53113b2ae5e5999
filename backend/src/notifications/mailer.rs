//! Sending over SMTP with lettre: the server's one outbound mail connection, configured once
//! (host, port, STARTTLS / TLS / none, credentials, from-address).

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::compose::Email;
use crate::config::{SmtpConfig, SmtpSecurity};

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the from-address `{0}` is not a valid email address")]
    From(String),
    #[error("no valid recipient in `{0}`")]
    Recipients(String),
    #[error("the message could not be built: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("the SMTP server {host} cannot be used: {source}")]
    Setup { host: String, source: lettre::transport::smtp::Error },
    #[error("the SMTP server refused or failed: {0}")]
    Send(#[from] lettre::transport::smtp::Error),
}

/// Sends the server's emails.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("from", &self.from.to_string()).finish_non_exhaustive()
    }
}

impl Mailer {
    pub fn new(config: &SmtpConfig) -> Result<Self, MailError> {
        let from: Mailbox = config.from.parse().map_err(|_| MailError::From(config.from.clone()))?;
        let setup = |source| MailError::Setup { host: config.host.clone(), source };
        let builder = match config.security {
            SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host),
            SmtpSecurity::Starttls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host).map_err(setup)?
            }
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host).map_err(setup)?,
        };
        let mut builder = builder.port(config.port).timeout(Some(Duration::from_secs(30)));
        if let Some(user) = &config.username {
            builder = builder.credentials(Credentials::new(user.clone(), config.password.clone().unwrap_or_default()));
        }
        Ok(Self { transport: builder.build(), from })
    }

    /// Sends `email` to the comma-separated `recipients` as one message, text and HTML.
    pub async fn send(&self, recipients: &str, email: &Email) -> Result<(), MailError> {
        let mut message = Message::builder().from(self.from.clone()).subject(email.subject.clone());
        let mut any = false;
        for address in recipients.split(',').map(str::trim).filter(|a| !a.is_empty()) {
            let to: Mailbox = address.parse().map_err(|_| MailError::Recipients(recipients.to_owned()))?;
            message = message.to(to);
            any = true;
        }
        if !any {
            return Err(MailError::Recipients(recipients.to_owned()));
        }
        let message = message.multipart(MultiPart::alternative_plain_html(email.text.clone(), email.html.clone()))?;
        self.transport.send(message).await?;
        Ok(())
    }
}
