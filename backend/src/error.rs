//! The service layer's error: what went wrong in terms a caller can act on.
//! Each edge (GraphQL, SOAP, HTTP) maps it once to its own wire form.

use sea_orm::DbErr;

/// One problem with one input field, named by its path (e.g. `input.incomeAccount`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{}", summarize(.0))]
    Validation(Vec<FieldError>),
    #[error("{0}")]
    Conflict(String),
    #[error("too many failed attempts: try again in {} minute(s)", (.retry_after_seconds + 59) / 60)]
    TooManyAttempts { retry_after_seconds: i64 },
    #[error("the database cannot be reached right now: try again shortly")]
    Unavailable,
    #[error("database error")]
    Database(#[from] DbErr),
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ServiceError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    pub fn internal(source: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Internal(Box::new(source))
    }
}

fn summarize(errors: &[FieldError]) -> String {
    match errors {
        [one] => format!("{}: {}", one.field, one.message),
        many => format!(
            "{} problems: {}",
            many.len(),
            many.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ")
        ),
    }
}

/// Turns a unique-constraint violation into the caller's conflict, leaving every other
/// database error as it is: the database decides, so two racing requests cannot both win.
pub fn conflict_on_unique(err: DbErr, message: &str) -> ServiceError {
    match err.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => ServiceError::Conflict(message.to_owned()),
        _ => ServiceError::Database(err),
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;
