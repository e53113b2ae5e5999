//! Newtypes parsed at the boundary: once a value is one of these, it is valid.
mod email;
mod money;
mod qb_text;
mod ref_number;

pub use email::{Email, EmailList};
pub use money::{Money, MoneyError};
pub use qb_text::{QB_NAME_MAX, QbName, QbTextError, to_latin1};
pub use ref_number::{PREFIX_MAX, REF_NUMBER_MAX, RefNumber};
