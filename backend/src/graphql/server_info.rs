use async_graphql::{Object, SimpleObject};

#[derive(SimpleObject)]
pub struct ServerInfo {
    /// Ledgerbridge's version.
    pub version: String,
    /// The qbXML version requests are written in, at most.
    pub max_qbxml_version: String,
}

#[derive(Default)]
pub struct ServerQuery;

#[Object]
impl ServerQuery {
    /// About this server; needs no log-in.
    async fn server_info(&self) -> ServerInfo {
        ServerInfo { version: env!("CARGO_PKG_VERSION").to_owned(), max_qbxml_version: "16.0".to_owned() }
    }
}
