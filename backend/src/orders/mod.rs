//! Orders: one canonical model every store maps into, its arithmetic check, and how an order
//! becomes a QuickBooks transaction under a connection's settings.
pub mod mapping;
pub mod model;

pub use mapping::{CustomerPlan, ItemPlan, MappedOrder, MappingContext, OrderProblem, map_order};
pub use model::{Address, Order, OrderLine, ShippingLine, TaxLine};
