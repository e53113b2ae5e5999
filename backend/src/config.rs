//! Typed configuration: command line, then environment, then a TOML file, then defaults.
//!
//! Secrets are kept out of `Debug` output so a logged config never leaks them.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// The SQLite file used when no database URL is given anywhere.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://./data/ledgerbridge.db?mode=rwc";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
const DEFAULT_CONFIG_FILE: &str = "ledgerbridge.toml";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("the config file {path} is not valid TOML: {source}")]
    Parse { path: PathBuf, source: toml::de::Error },
    #[error("`{value}` is not a valid listen address (expected host:port, e.g. 127.0.0.1:8080)")]
    Listen { value: String },
    #[error("`{value}` is not a valid public URL: it must start with http:// or https://")]
    PublicUrl { value: String },
    #[error("email: {0}")]
    Smtp(String),
}

/// Settings given on the command line or in the environment; `None` falls through
/// to the config file and then to the defaults.
#[derive(Debug, Default, Clone, clap::Args)]
pub struct Overrides {
    /// Address to listen on.
    #[arg(long, env = "LEDGERBRIDGE_LISTEN")]
    pub listen: Option<String>,
    /// Database URL: sqlite://path?mode=rwc or postgres://user@host/db.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// The URL the Web Connector and browsers reach this server at (used in .qwc files).
    #[arg(long, env = "LEDGERBRIDGE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Folder holding the built dashboard (index.html, frontend.js, frontend_bg.wasm).
    #[arg(long, env = "LEDGERBRIDGE_DASHBOARD_DIR")]
    pub dashboard_dir: Option<PathBuf>,
    /// SMTP server for notification emails; none means no email is sent (with a warning).
    #[arg(long, env = "LEDGERBRIDGE_SMTP_HOST")]
    pub smtp_host: Option<String>,
    /// SMTP port (default 587 with STARTTLS, 465 with TLS, 25 with none).
    #[arg(long, env = "LEDGERBRIDGE_SMTP_PORT")]
    pub smtp_port: Option<u16>,
    /// `starttls` (default), `tls` or `none`.
    #[arg(long, env = "LEDGERBRIDGE_SMTP_SECURITY")]
    pub smtp_security: Option<SmtpSecurity>,
    #[arg(long, env = "LEDGERBRIDGE_SMTP_USERNAME")]
    pub smtp_username: Option<String>,
    #[arg(long, env = "LEDGERBRIDGE_SMTP_PASSWORD", hide_env_values = true)]
    pub smtp_password: Option<String>,
    /// The address notification emails come from, e.g. `Ledgerbridge <books@example.com>`.
    #[arg(long, env = "LEDGERBRIDGE_MAIL_FROM")]
    pub mail_from: Option<String>,
    /// Serve the benchmark suite's yardsticks (`/bench/echo`, `/bench/broadcast`): for
    /// measuring only, never in production.
    #[arg(long, env = "LEDGERBRIDGE_BENCH_ENDPOINTS", hide = true)]
    pub bench_endpoints: bool,
    /// TOML config file; `ledgerbridge.toml` in the working directory is read when present.
    #[arg(long, env = "LEDGERBRIDGE_CONFIG")]
    pub config: Option<PathBuf>,
}

/// The config file's shape. Every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    database_url: Option<String>,
    public_url: Option<String>,
    dashboard_dir: Option<PathBuf>,
    jwt_secret: Option<String>,
    access_token_ttl_seconds: Option<u64>,
    refresh_token_ttl_days: Option<u64>,
    web_connector_lease_seconds: Option<u64>,
    smtp: Option<SmtpFile>,
    /// How often due notifications are looked for and sent.
    notifications_check_seconds: Option<u64>,
    /// The wait after an email's first failed attempt, doubled after each next one.
    notification_retry_seconds: Option<u64>,
}

/// The `[smtp]` table of the config file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SmtpFile {
    host: Option<String>,
    port: Option<u16>,
    security: Option<SmtpSecurity>,
    username: Option<String>,
    password: Option<String>,
    from: Option<String>,
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (required).
    Starttls,
    /// TLS from the first byte (SMTPS).
    Tls,
    /// No encryption: only for a relay on the same machine or network.
    None,
}

/// Where and how notification emails are sent.
#[derive(Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<String>,
    pub from: String,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<set>"))
            .field("from", &self.from)
            .finish()
    }
}

/// The resolved configuration the application runs with.
#[derive(Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub database_url: String,
    pub public_url: String,
    pub dashboard_dir: PathBuf,
    /// Signing secret for access tokens. `None`: generated once and kept in the database,
    /// so every replica on the same database signs alike.
    pub jwt_secret: Option<String>,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    /// Largest request body accepted from merchants and partners.
    pub max_body_bytes: usize,
    /// How long a Web Connector session keeps its company file to itself after its last call:
    /// a Web Connector that vanished mid-run frees the connection after this.
    pub web_connector_lease: Duration,
    /// `None`: email is not configured, notifications are recorded as not sent.
    pub smtp: Option<SmtpConfig>,
    pub notification_interval: Duration,
    pub notification_retry: Duration,
    /// Whether the benchmark yardsticks are served (see `http::bench`).
    pub bench_endpoints: bool,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("database_url", &redact_url(&self.database_url))
            .field("public_url", &self.public_url)
            .field("dashboard_dir", &self.dashboard_dir)
            .field("jwt_secret", &self.jwt_secret.as_ref().map(|_| "<set>"))
            .field("access_token_ttl", &self.access_token_ttl)
            .field("refresh_token_ttl", &self.refresh_token_ttl)
            .field("smtp", &self.smtp)
            .finish()
    }
}

impl Config {
    /// Resolves the configuration from overrides (command line and environment) and the config file.
    pub fn load(overrides: &Overrides) -> Result<Self, ConfigError> {
        let file = match &overrides.config {
            Some(path) => read_file(path)?,
            None if Path::new(DEFAULT_CONFIG_FILE).exists() => read_file(Path::new(DEFAULT_CONFIG_FILE))?,
            None => FileConfig::default(),
        };
        let listen_text = overrides.listen.clone().or(file.listen).unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
        let listen: SocketAddr = listen_text.parse().map_err(|_| ConfigError::Listen { value: listen_text.clone() })?;
        let public_url = overrides.public_url.clone().or(file.public_url).unwrap_or_else(|| format!("http://{listen}"));
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(ConfigError::PublicUrl { value: public_url });
        }
        let smtp = smtp_config(overrides, file.smtp.unwrap_or_default())?;
        Ok(Self {
            listen,
            database_url: overrides
                .database_url
                .clone()
                .or(file.database_url)
                .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned()),
            public_url: public_url.trim_end_matches('/').to_owned(),
            dashboard_dir: overrides
                .dashboard_dir
                .clone()
                .or(file.dashboard_dir)
                .unwrap_or_else(|| PathBuf::from("frontend/dist")),
            jwt_secret: file.jwt_secret,
            access_token_ttl: Duration::from_secs(file.access_token_ttl_seconds.unwrap_or(15 * 60)),
            refresh_token_ttl: Duration::from_secs(file.refresh_token_ttl_days.unwrap_or(30) * 86_400),
            max_body_bytes: 2 * 1024 * 1024,
            web_connector_lease: Duration::from_secs(file.web_connector_lease_seconds.unwrap_or(300)),
            smtp,
            notification_interval: Duration::from_secs(file.notifications_check_seconds.unwrap_or(30).max(1)),
            notification_retry: Duration::from_secs(file.notification_retry_seconds.unwrap_or(60).max(1)),
            bench_endpoints: overrides.bench_endpoints,
        })
    }

    /// A configuration for tests and embedding: everything default but the database.
    pub fn for_database(database_url: impl Into<String>) -> Self {
        let listen: SocketAddr = ([127, 0, 0, 1], 0).into();
        Self {
            listen,
            database_url: database_url.into(),
            public_url: "http://127.0.0.1:8080".to_owned(),
            dashboard_dir: PathBuf::from("frontend/dist"),
            jwt_secret: None,
            access_token_ttl: Duration::from_secs(15 * 60),
            refresh_token_ttl: Duration::from_secs(30 * 86_400),
            max_body_bytes: 2 * 1024 * 1024,
            web_connector_lease: Duration::from_secs(300),
            smtp: None,
            notification_interval: Duration::from_secs(30),
            notification_retry: Duration::from_secs(60),
            bench_endpoints: false,
        }
    }
}

/// The SMTP settings from the command line and environment over the `[smtp]` table; `None`
/// when no host is given anywhere.
fn smtp_config(overrides: &Overrides, file: SmtpFile) -> Result<Option<SmtpConfig>, ConfigError> {
    let Some(host) = overrides.smtp_host.clone().or(file.host).filter(|h| !h.trim().is_empty()) else {
        return Ok(None);
    };
    let security = overrides.smtp_security.or(file.security).unwrap_or(SmtpSecurity::Starttls);
    let port = overrides.smtp_port.or(file.port).unwrap_or(match security {
        SmtpSecurity::Starttls => 587,
        SmtpSecurity::Tls => 465,
        SmtpSecurity::None => 25,
    });
    let from = overrides.mail_from.clone().or(file.from).ok_or_else(|| {
        ConfigError::Smtp(format!(
            "an SMTP host ({host}) is set but no from-address: set `from` in [smtp] or LEDGERBRIDGE_MAIL_FROM"
        ))
    })?;
    Ok(Some(SmtpConfig {
        host,
        port,
        security,
        username: overrides.smtp_username.clone().or(file.username),
        password: overrides.smtp_password.clone().or(file.password),
        from,
    }))
}

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
    toml::from_str(&text).map_err(|source| ConfigError::Parse { path: path.to_owned(), source })
}

/// Hides the password in a database URL so it can be logged.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_beats_the_config_file_which_beats_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("lb.toml");
        std::fs::write(&file, "listen = \"127.0.0.1:9000\"\npublic_url = \"https://books.example.com/\"\n").unwrap();
        let overrides = Overrides { listen: Some("127.0.0.1:7000".into()), config: Some(file), ..Overrides::default() };
        let config = Config::load(&overrides).unwrap();
        assert_eq!(config.listen.port(), 7000);
        assert_eq!(config.public_url, "https://books.example.com");
        assert_eq!(config.database_url, DEFAULT_DATABASE_URL);
    }

    #[test]
    fn an_unknown_key_in_the_config_file_is_an_error_not_silence() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("lb.toml");
        std::fs::write(&file, "listn = \"127.0.0.1:9000\"\n").unwrap();
        let overrides = Overrides { config: Some(file), ..Overrides::default() };
        assert!(matches!(Config::load(&overrides), Err(ConfigError::Parse { .. })));
    }

    #[test]
    fn email_is_configured_from_the_smtp_table_with_the_port_its_security_implies() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("lb.toml");
        std::fs::write(&file, "[smtp]\nhost = \"mail.example\"\nsecurity = \"tls\"\nusername = \"u\"\npassword = \"p4ss\"\nfrom = \"LB <lb@example.com>\"\n").unwrap();
        let overrides = Overrides { config: Some(file.clone()), ..Overrides::default() };
        let smtp = Config::load(&overrides).unwrap().smtp.unwrap();
        assert_eq!((smtp.host.as_str(), smtp.port, smtp.security), ("mail.example", 465, SmtpSecurity::Tls));
        assert!(!format!("{smtp:?}").contains("p4ss"), "the password stays out of logs");
        std::fs::write(&file, "[smtp]\nhost = \"mail.example\"\n").unwrap();
        assert!(matches!(Config::load(&overrides), Err(ConfigError::Smtp(_))), "a host without a from-address");
        std::fs::write(&file, "").unwrap();
        assert!(Config::load(&overrides).unwrap().smtp.is_none());
    }

    #[test]
    fn a_database_password_never_reaches_the_log() {
        assert_eq!(redact_url("postgres://lb:s3cret@db:5432/lb"), "postgres://lb:***@db:5432/lb");
        assert_eq!(redact_url("sqlite://./data/x.db"), "sqlite://./data/x.db");
    }
}
