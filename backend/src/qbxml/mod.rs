//! qbXML: the documents QuickBooks executes and the answers it sends back. Pure functions over
//! plain types: no database, no HTTP.
mod dom;
pub mod host;
pub mod items;
pub mod lists;
mod request;
mod response;
pub mod sales;
pub mod transactions;

pub use dom::{XmlError, XmlNode, parse_document};
pub use request::{OnError, QbxmlVersion, RequestDocument, element};
pub use response::{QbxmlResponse, ResponseStatus, RsElement};
