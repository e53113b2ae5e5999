//! Access tokens (short-lived JWTs), refresh tokens and partner API tokens.
//!
//! Refresh and API tokens are random 256-bit strings; only their SHA-256 is stored, which is
//! safe for values of that entropy and lets a token be found by its hash in one look-up.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hashlink::LruCache;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Every partner API token starts with this, so the two kinds of bearer token are told apart
/// without trying to decode one as the other.
pub const API_TOKEN_PREFIX: &str = "lbp_";
pub const REFRESH_TOKEN_PREFIX: &str = "lbr_";

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: Uuid,
    iat: i64,
    exp: i64,
    typ: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AccessTokenError {
    #[error("the access token has expired: get a new one with the refreshToken mutation")]
    Expired,
    #[error("the access token is not valid")]
    Invalid,
}

/// Access tokens checked lately, at most: a dashboard or a script sends the same token with
/// every request for its whole life.
const VERIFIED: usize = 1_024;
/// Seconds a token is still taken after its expiry, for clocks a little apart.
const LEEWAY: u64 = 5;

/// A token that passed every check, by its exact text: whom it names and when it expires.
/// Decoding one (two base64 parts, two JSON documents, the HMAC) cost about a fifth of the
/// server's time for a small authenticated query; a token seen before is only looked up, and
/// its expiry checked again each time.
type Verified = LruCache<Box<str>, (Uuid, u64)>;

/// The keys that sign and check access tokens, and how long they live.
#[derive(Clone)]
pub struct AuthKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// What a valid access token must be. Made once: building it allocates (a set of claim
    /// names, a list of algorithms), and it used to be built on every request.
    validation: Validation,
    /// Shared by the clones, which hold the same keys.
    verified: Arc<Mutex<Verified>>,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
}

impl AuthKeys {
    pub fn new(secret: &[u8], access_ttl: Duration, refresh_ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = LEEWAY;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            verified: Arc::new(Mutex::new(LruCache::new(VERIFIED))),
            access_ttl,
            refresh_ttl,
        }
    }

    /// Issues an access token for a merchant, returning it with its expiry.
    pub fn issue_access_token(&self, merchant_id: Uuid, now: DateTime<Utc>) -> (String, DateTime<Utc>) {
        let expires_at = now + chrono::Duration::from_std(self.access_ttl).unwrap_or(chrono::Duration::minutes(15));
        let claims =
            Claims { sub: merchant_id, iat: now.timestamp(), exp: expires_at.timestamp(), typ: "access".to_owned() };
        // HS256 over well-formed claims cannot fail to encode.
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).unwrap_or_default();
        (token, expires_at)
    }

    /// Checks an access token and returns the merchant it was issued to.
    pub fn verify_access_token(&self, token: &str) -> Result<Uuid, AccessTokenError> {
        self.verify_at(token, jsonwebtoken::get_current_timestamp())
    }

    /// [`Self::verify_access_token`] with the time (Unix seconds) a token seen before is
    /// checked against; a token not seen before is checked by the library, at the clock's time.
    fn verify_at(&self, token: &str, now: u64) -> Result<Uuid, AccessTokenError> {
        let seen = self.verified.lock().unwrap_or_else(PoisonError::into_inner).get(token).copied();
        if let Some((merchant_id, expires)) = seen {
            // Kept when expired, to be told so again without decoding: the least recently
            // used go first, and a client whose token expired soon stops sending it.
            return if expires.saturating_add(LEEWAY) < now { Err(AccessTokenError::Expired) } else { Ok(merchant_id) };
        }
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).map_err(refusal)?;
        if data.claims.typ != "access" {
            return Err(AccessTokenError::Invalid);
        }
        // The library has just checked `exp` against the clock, so it is not negative.
        let expires = u64::try_from(data.claims.exp).map_err(|_| AccessTokenError::Invalid)?;
        self.verified.lock().unwrap_or_else(PoisonError::into_inner).insert(token.into(), (data.claims.sub, expires));
        Ok(data.claims.sub)
    }
}

/// Why an access token was refused: expired (the client can refresh it) or anything else.
fn refusal(err: jsonwebtoken::errors::Error) -> AccessTokenError {
    match err.kind() {
        jsonwebtoken::errors::ErrorKind::ExpiredSignature => AccessTokenError::Expired,
        _ => AccessTokenError::Invalid,
    }
}

/// A new random secret token with the given prefix.
pub fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The stored form of a refresh or API token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A fresh random signing secret, as stored in the database on first start.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 64];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> AuthKeys {
        AuthKeys::new(b"test secret", Duration::from_secs(900), Duration::from_secs(86_400))
    }

    #[test]
    fn an_access_token_names_its_merchant() {
        let merchant = Uuid::new_v4();
        let (token, _) = keys().issue_access_token(merchant, Utc::now());
        assert_eq!(keys().verify_access_token(&token), Ok(merchant));
    }

    #[test]
    fn an_expired_token_says_it_expired() {
        let (token, _) = keys().issue_access_token(Uuid::new_v4(), Utc::now() - chrono::Duration::hours(1));
        assert_eq!(keys().verify_access_token(&token), Err(AccessTokenError::Expired));
    }

    #[test]
    fn a_token_signed_with_another_secret_is_invalid() {
        let other = AuthKeys::new(b"other", Duration::from_secs(900), Duration::from_secs(1));
        let (token, _) = other.issue_access_token(Uuid::new_v4(), Utc::now());
        assert_eq!(keys().verify_access_token(&token), Err(AccessTokenError::Invalid));
        assert_eq!(keys().verify_access_token("garbage"), Err(AccessTokenError::Invalid));
    }

    #[test]
    fn a_token_seen_before_still_expires() {
        let keys = keys();
        let merchant = Uuid::new_v4();
        let (token, expires_at) = keys.issue_access_token(merchant, Utc::now());
        let expires = u64::try_from(expires_at.timestamp()).unwrap();
        assert_eq!(keys.verify_access_token(&token), Ok(merchant));
        assert_eq!(keys.verify_at(&token, expires + LEEWAY), Ok(merchant), "taken within the leeway");
        assert_eq!(keys.verify_at(&token, expires + LEEWAY + 1), Err(AccessTokenError::Expired));
        assert_eq!(keys.verify_at(&token, expires + LEEWAY + 2), Err(AccessTokenError::Expired), "and stays refused");
    }

    #[test]
    fn only_the_exact_token_seen_before_is_taken_without_a_check() {
        let keys = keys();
        let merchant = Uuid::new_v4();
        let (token, _) = keys.issue_access_token(merchant, Utc::now());
        assert_eq!(keys.verify_access_token(&token), Ok(merchant));
        // Another merchant's id in the claims, the signature left as it was.
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let claims = String::from_utf8(URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
        parts[1] = URL_SAFE_NO_PAD.encode(claims.replace(&merchant.to_string(), &Uuid::new_v4().to_string()));
        assert_eq!(keys.verify_access_token(&parts.join(".")), Err(AccessTokenError::Invalid));
        assert_eq!(keys.verify_access_token(&format!("{token}x")), Err(AccessTokenError::Invalid));
        let new_keys = AuthKeys::new(b"test secret", Duration::from_secs(900), Duration::from_secs(1));
        assert_eq!(new_keys.verify_access_token(&token), Ok(merchant), "a new set of keys checks it afresh");
    }

    #[test]
    fn the_tokens_seen_before_are_bounded() {
        let keys = keys();
        for _ in 0..VERIFIED + 10 {
            let (token, _) = keys.issue_access_token(Uuid::new_v4(), Utc::now());
            assert!(keys.verify_access_token(&token).is_ok());
        }
        assert_eq!(keys.verified.lock().unwrap().len(), VERIFIED);
    }

    #[test]
    fn random_tokens_differ_and_hash_stably() {
        let a = random_token(API_TOKEN_PREFIX);
        assert!(a.starts_with("lbp_") && a.len() > 40);
        assert_ne!(a, random_token(API_TOKEN_PREFIX));
        assert_eq!(token_hash(&a), token_hash(&a));
    }
}
