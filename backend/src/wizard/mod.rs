//! The seven-step configuration wizard: typed settings for each step, their validation
//! against the company's real QuickBooks lists, the step FAQs, and finishing set-up.
mod customer_names;
mod faq;
pub mod graphql;
mod sales_tax;
pub mod service;
mod steps;
mod suggestions;
mod validate;

pub use customer_names::{customer_name, CustomerNameParts};
pub use sales_tax::{parse_mappings_csv, resolve_tax_code, MappingRow, Place};
pub use steps::*;
