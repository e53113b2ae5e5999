//! The merchant's tokens, kept in the browser's local storage so a reload stays logged in.

use crate::api::Tokens;

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

pub fn save(tokens: Tokens) -> Session {
    if let Some(storage) = storage() {
        let _ = storage.set_item(KEY_ACCESS, &tokens.access_token);
        let _ = storage.set_item(KEY_REFRESH, &tokens.refresh_token);
    }
    Session { access_token: tokens.access_token, refresh_token: tokens.refresh_token }
}

pub fn clear() {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(KEY_ACCESS);
        let _ = storage.remove_item(KEY_REFRESH);
    }
}
