//! The seven-step configuration wizard: typed settings for each step, their validation
//! against the company's real QuickBooks lists, the step FAQs, and finishing set-up.
mod customer_names;
mod faq;
pub mod graphql;
mod sales_tax;
pub mod service;
pub mod step_writer;
mod steps;
mod suggestions;
mod validate;

pub use customer_names::{CustomerNameParts, customer_name};
pub use sales_tax::{MappingRow, Place, parse_mappings_csv, resolve_tax_code};
pub use steps::*;
