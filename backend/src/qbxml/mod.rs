//! qbXML: the documents QuickBooks executes and the answers it sends back. Pure functions over
//! plain types: no database, no HTTP.
mod dom;
pub mod host;
pub mod items;
pub mod lists;
mod request;
mod response;
pub mod transactions;

pub use dom::{parse_document, XmlError, XmlNode};
pub use request::{element, QbxmlVersion, RequestDocument, OnError};
pub use response::{QbxmlResponse, ResponseStatus, RsElement};
