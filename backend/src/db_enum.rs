//! Enums are stored as their GraphQL names (`SALES_RECEIPT`), so the database reads the same
//! as the API. serde does the spelling in one place for every enum.

use serde::{Serialize, de::DeserializeOwned};

pub fn to_db<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(text)) => text,
        // Only unit-variant enums are stored this way; anything else is a programming error
        // that the unit tests of each enum catch.
        other => format!("{other:?}"),
    }
}

pub fn from_db<T: DeserializeOwned>(text: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).ok()
}
