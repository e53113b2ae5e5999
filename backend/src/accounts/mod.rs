//! Merchant accounts: sign-up, log-in, access and refresh tokens, partner API tokens,
//! and who is calling (the [`Caller`]) for every request.
pub mod graphql;
pub mod known;
pub mod password;
pub mod service;
pub mod throttle;
pub mod tokens;

pub use known::KnownAccounts;
pub use password::{PasswordError, hash_password, verify_password};
pub use service::{AuthSession, Caller, CallerKind};
pub use tokens::AuthKeys;
