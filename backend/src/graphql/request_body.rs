//! Reading a GraphQL request from the body of a POST: one operation, or a batch of them.
//!
//! async-graphql reads both shapes through serde's untagged enum, which first copies the
//! whole document into a tree of its own and then reads the request out of that tree again.
//! Under a stream of small mutations, reading the body took about a twentieth of the server's
//! time, more than half of it in that tree. A batch is the one shape that starts with `[`, so
//! the first byte that is not whitespace says which to read, and the document is read once.

use async_graphql::{BatchRequest, ParseRequestError, Request};
use async_graphql_axum::GraphQLBatchRequest;
use async_graphql_axum::rejection::GraphQLRejection;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request as HttpRequest};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};

/// The operations of a POST to `/graphql`.
pub struct GraphQLBody(pub BatchRequest);

impl<S: Send + Sync> FromRequest<S> for GraphQLBody {
    type Rejection = Response;

    async fn from_request(request: HttpRequest, state: &S) -> Result<Self, Response> {
        let multipart =
            request.headers().get(CONTENT_TYPE).and_then(|value| value.to_str().ok()).is_some_and(|value| {
                value.trim_start().get(..10).is_some_and(|t| t.eq_ignore_ascii_case("multipart/"))
            });
        if multipart {
            // The GraphQL multipart request spec, read as async-graphql reads it.
            let batch = GraphQLBatchRequest::<GraphQLRejection>::from_request(request, state)
                .await
                .map_err(IntoResponse::into_response)?;
            return Ok(Self(batch.into_inner()));
        }
        // Within the body limits: a body over them is refused with 413, as before it is read.
        let body = Bytes::from_request(request, state).await.map_err(IntoResponse::into_response)?;
        read(&body)
            .map(Self)
            .map_err(|err| GraphQLRejection(ParseRequestError::InvalidRequest(Box::new(err))).into_response())
    }
}

/// Every content type but multipart is read as JSON, as async-graphql does.
fn read(body: &[u8]) -> serde_json::Result<BatchRequest> {
    match body.iter().find(|byte| !byte.is_ascii_whitespace()) {
        Some(b'[') => {
            let batch: Vec<Request> = serde_json::from_slice(body)?;
            if batch.is_empty() {
                return Err(serde::de::Error::invalid_length(0, &"a non-empty list of operations"));
            }
            Ok(BatchRequest::Batch(batch))
        }
        _ => serde_json::from_slice(body).map(BatchRequest::Single),
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::BatchRequest;
    use axum::body::Body;
    use axum::extract::FromRequest;
    use axum::http::{Request, StatusCode, header};

    use super::{GraphQLBody, read};

    async fn extract(content_type: &str, body: &'static str) -> Result<BatchRequest, (StatusCode, String)> {
        let request = Request::post("/graphql").header(header::CONTENT_TYPE, content_type).body(Body::from(body));
        match GraphQLBody::from_request(request.expect("a request"), &()).await {
            Ok(GraphQLBody(batch)) => Ok(batch),
            Err(refused) => {
                let status = refused.status();
                let text = axum::body::to_bytes(refused.into_body(), 1 << 16).await.expect("the answer's body");
                Err((status, String::from_utf8_lossy(&text).into_owned()))
            }
        }
    }

    #[tokio::test]
    async fn a_multipart_body_is_still_read_and_a_body_that_is_no_request_gets_400_saying_why() {
        let multipart = "--b\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{\"query\":\"{ a }\"}\r\n--b\r\nContent-Disposition: form-data; name=\"map\"\r\n\r\n{}\r\n--b--\r\n";
        match extract("multipart/form-data; boundary=b", multipart).await {
            Ok(BatchRequest::Single(request)) => assert_eq!(request.query, "{ a }"),
            other => panic!("not one operation: {other:?}"),
        }
        let (status, text) = extract("application/json", "[]").await.expect_err("an empty batch");
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(text.contains("a non-empty list of operations"), "{text}");
        let (status, text) = extract("application/json", "{\"query\": 1}").await.expect_err("no query text");
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(text.contains("invalid type"), "{text}");
    }

    #[test]
    fn one_operation_or_a_batch_is_read_as_async_graphql_reads_it() {
        let bodies: [&[u8]; 3] = [
            br#"{"query":"mutation($c: ID!) { a(c: $c) }","operationName":null,"variables":{"c":"1","n":[1,2.5]}}"#,
            br#" 	[{"query":"{ a }"},{"query":"{ b }","variables":null}]"#,
            br#"{"query":"{ a }","variables":null,"extensions":{"persistedQuery":{"version":1}}}"#,
        ];
        for body in bodies {
            let ours = format!("{:?}", read(body).expect("read"));
            let theirs = format!("{:?}", serde_json::from_slice::<BatchRequest>(body).expect("read by async-graphql"));
            assert_eq!(ours, theirs);
        }
        assert!(matches!(read(bodies[1]), Ok(BatchRequest::Batch(batch)) if batch.len() == 2));
    }

    #[test]
    fn an_empty_batch_or_a_body_that_is_no_request_is_refused() {
        for body in [&b""[..], b"{", b"[{\"query\": 1}]", b"\"{ a }\"", b"{\"query\": \"{ a }\", \"variables\": [1]}"] {
            assert!(read(body).is_err(), "{}", String::from_utf8_lossy(body));
            assert!(serde_json::from_slice::<BatchRequest>(body).is_err(), "async-graphql refuses it too");
        }
        // async-graphql reads an empty list as one request with every field left out (serde
        // reads a struct from a list too), and then reports a query that does not parse.
        for body in [&b"[]"[..], b" [ ] "] {
            let refused = read(body).expect_err("an empty batch").to_string();
            assert!(refused.contains("a non-empty list of operations"), "{refused}");
        }
    }
}
