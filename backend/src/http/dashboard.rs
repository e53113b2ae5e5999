//! The built dashboard: static files, with every unknown path answered by `index.html` so
//! the single-page app's own routes (deep links, reloads) work.

use std::path::Path;

use axum::Router;
use axum::http::StatusCode;
use axum::response::Html;
use tower_http::services::{ServeDir, ServeFile};

/// Adds the dashboard behind every route the router does not know.
pub fn serve_from(router: Router, dir: &Path) -> Router {
    let index = dir.join("index.html");
    if index.is_file() {
        router.fallback_service(ServeDir::new(dir).fallback(ServeFile::new(index)))
    } else {
        tracing::warn!(dir = %dir.display(), "the dashboard is not built; `/` will say how to build it");
        router.fallback(not_built)
    }
}

async fn not_built() -> (StatusCode, Html<&'static str>) {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Html(
            "<!doctype html><title>Ledgerbridge</title><h1>Ledgerbridge is running</h1>\
             <p>The dashboard has not been built. Start Ledgerbridge with <code>cargo xtask run</code>, \
             which builds it first. The API is at <a href=\"/graphql\">/graphql</a>.</p>",
        ),
    )
}
