//! Newtypes parsed at the boundary: once a value is one of these, it is valid.
mod email;
mod money;
mod qb_text;
mod ref_number;

pub use email::{Email, EmailList};
pub use money::{Money, MoneyError};
pub use qb_text::{QbName, QbTextError, QB_NAME_MAX};
pub use ref_number::{RefNumber, REF_NUMBER_MAX, PREFIX_MAX};
