//! The merchant's tokens, kept in the browser's local storage so a reload stays logged in.

const KEY_ACCESS: &str = "ledgerbridge.accessToken";
const KEY_REFRESH: &str = "ledgerbridge.refreshToken";

#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub access_token: String,
    pub refresh_token: String,
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

pub fn load() -> Option<Session> {
    let storage = storage()?;
    Some(Session {
        access_token: storage.get_item(KEY_ACCESS).ok().flatten()?,
        refresh_token: storage.get_item(KEY_REFRESH).ok().flatten()?,
    })
}

pub fn save(access_token: String, refresh_token: String) -> Session {
    if let Some(storage) = storage() {
        let _ = storage.set_item(KEY_ACCESS, &access_token);
        let _ = storage.set_item(KEY_REFRESH, &refresh_token);
    }
    Session { access_token, refresh_token }
}

/// Whether the access token has expired or is about to (within 30 s), read from its `exp`
/// claim. A token that cannot be read counts as expired: refreshing costs one request.
pub fn expired(session: &Session) -> bool {
    let expires_at = session
        .access_token
        .split('.')
        .nth(1)
        .and_then(|payload| {
            // JWTs use unpadded base64url; the browser's atob wants padded standard base64.
            let mut base64: String = payload
                .chars()
                .map(|c| match c {
                    '-' => '+',
                    '_' => '/',
                    c => c,
                })
                .collect();
            while !base64.len().is_multiple_of(4) {
                base64.push('=');
            }
            web_sys::window()?.atob(&base64).ok()
        })
        .and_then(|json| serde_json::from_str::<serde_json::Value>(&json).ok())
        .and_then(|claims| claims["exp"].as_f64());
    match expires_at {
        Some(exp) => exp * 1000.0 < js_sys::Date::now() + 30_000.0,
        None => true,
    }
}

pub fn clear() {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(KEY_ACCESS);
        let _ = storage.remove_item(KEY_REFRESH);
    }
}
