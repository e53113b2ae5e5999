//! The cache of a company's QuickBooks lists, read through the Web Connector. The wizard
//! offers and validates its choices against it; the sync engine matches names in it.
pub mod graphql;
mod kinds;
mod names;
pub mod service;

pub use kinds::{AccountType, ListKind};
pub use names::{NameLookupError, resolve_name};
pub use service::{CachedEntry, ListSnapshot, NewListEntry};
