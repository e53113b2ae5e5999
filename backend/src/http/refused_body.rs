//! Telling a client to open a new connection after its body was refused unread.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

/// A body refused for its size is answered before it is read, and the server then closes
/// the connection rather than read megabytes nobody wants. Without `Connection: close` a
/// client may put the connection back in its pool and lose its next request on it.
pub async fn close_after_refused_body(mut response: Response) -> Response {
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE {
        response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::http::Request;
    use axum::middleware::map_response;
    use axum::routing::post;
    use tower::ServiceExt;
    use tower_http::limit::RequestBodyLimitLayer;

    use super::*;

    fn app() -> Router {
        Router::new()
            .route("/", post(|body: String| async move { body.len().to_string() }))
            .layer(RequestBodyLimitLayer::new(8))
            .layer(map_response(close_after_refused_body))
    }

    fn post_body(body: &'static str) -> Request<Body> {
        Request::post("/").header(header::CONTENT_LENGTH, body.len()).body(Body::from(body)).expect("request")
    }

    #[tokio::test]
    async fn a_refused_body_closes_the_connection_and_an_accepted_one_keeps_it() {
        let refused = app().oneshot(post_body("far more than eight bytes")).await.expect("answer");
        assert_eq!(refused.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(refused.headers().get(header::CONNECTION).map(|v| v.as_bytes()), Some(&b"close"[..]));
        let accepted = app().oneshot(post_body("short")).await.expect("answer");
        assert_eq!(accepted.status(), StatusCode::OK);
        assert!(accepted.headers().get(header::CONNECTION).is_none());
    }
}
