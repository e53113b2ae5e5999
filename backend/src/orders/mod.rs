//! Orders: one canonical model every store maps into, its arithmetic check, how an order
//! becomes a QuickBooks transaction under a connection's settings, and storing orders.
pub mod graphql;
pub mod mapping;
pub mod model;
pub mod refund_mapping;
pub mod refunds;
pub mod service;

pub use mapping::{CustomerPlan, ItemPlan, MappedOrder, MappingContext, OrderProblem, map_order};
pub use model::{Address, Order, OrderLine, Refund, RefundLine, ShippingLine, TaxLine};
pub use service::OrderStatus;
