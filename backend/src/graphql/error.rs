//! Service errors as GraphQL errors, each with a machine-readable `extensions.code`.

use async_graphql::ErrorExtensions;

use crate::error::ServiceError;

/// A resolver's error, already carrying its `extensions.code`. It deliberately does not
/// implement `Display`: async-graphql turns any `Display` error into a bare message, so a
/// `?` on a service error inside a resolver could otherwise lose the code.
///
/// Boxed: a resolver's result is kept in its future while it is turned into the answer, so
/// an error held inline (72 bytes) made every field's future larger; errors are rare.
#[derive(Debug, Clone)]
pub struct ApiError(Box<async_graphql::Error>);

pub type ApiResult<T> = Result<T, ApiError>;

impl From<ApiError> for async_graphql::Error {
    fn from(ApiError(err): ApiError) -> Self {
        *err
    }
}

impl From<ServiceError> for ApiError {
    fn from(err: ServiceError) -> Self {
        let code = match &err {
            ServiceError::Unauthenticated(_) => "UNAUTHENTICATED",
            ServiceError::Forbidden(_) => "FORBIDDEN",
            ServiceError::NotFound(_) => "NOT_FOUND",
            ServiceError::Validation(_) => "VALIDATION",
            ServiceError::Conflict(_) => "CONFLICT",
            ServiceError::TooManyAttempts { .. } => "TOO_MANY_REQUESTS",
            ServiceError::Unavailable => "UNAVAILABLE",
            ServiceError::Database(db) if crate::db::is_unreachable(db) => "UNAVAILABLE",
            ServiceError::Database(_) | ServiceError::Internal(_) => "INTERNAL",
        };
        let message = match &err {
            ServiceError::Database(db) if crate::db::is_unreachable(db) => {
                tracing::warn!(error = %db, "the database cannot be reached");
                ServiceError::Unavailable.to_string()
            }
            ServiceError::Database(_) | ServiceError::Internal(_) => {
                // Internals go to the log with their source chain, never to the client.
                tracing::error!(error = ?err, "request failed");
                "something went wrong on our side; it has been logged".to_owned()
            }
            other => other.to_string(),
        };
        Self(Box::new(async_graphql::Error::new(message).extend_with(|_, ext| {
            ext.set("code", code);
            if let ServiceError::TooManyAttempts { retry_after_seconds } = &err {
                ext.set("retryAfterSeconds", *retry_after_seconds);
            }
            if let ServiceError::Validation(fields) = &err {
                if let Some(first) = fields.first() {
                    ext.set("field", first.field.as_str());
                }
                let list: Vec<async_graphql::Value> = fields
                    .iter()
                    .map(|f| {
                        let mut map = async_graphql::indexmap::IndexMap::new();
                        map.insert(async_graphql::Name::new("field"), async_graphql::Value::from(f.field.as_str()));
                        map.insert(async_graphql::Name::new("message"), async_graphql::Value::from(f.message.as_str()));
                        async_graphql::Value::Object(map)
                    })
                    .collect();
                ext.set("fields", async_graphql::Value::List(list));
            }
        })))
    }
}
