//! The canonical order: what Shopify, WooCommerce and partner imports all become. Money is
//! integer cents, quantities exact decimals; stored as JSON in camelCase.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::domain::Money;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Address {
    pub first_name: String,
    pub last_name: String,
    pub company: String,
    pub address1: String,
    pub address2: String,
    pub city: String,
    /// County or district, where the store knows it.
    pub county: String,
    /// State or province code (NY, ON).
    pub province_code: String,
    pub zip: String,
    /// Two-letter country code.
    pub country_code: String,
    pub phone: String,
}

impl Address {
    pub fn full_name(&self) -> String {
        [self.first_name.trim(), self.last_name.trim()]
            .iter()
            .filter(|p| !p.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaxLine {
    pub title: String,
    /// 0.08875 for 8.875 %.
    pub rate: Decimal,
    pub amount: Money,
    #[serde(default)]
    pub jurisdiction: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderLine {
    /// Blank when the store has none.
    #[serde(default)]
    pub sku: String,
    pub title: String,
    pub quantity: Decimal,
    pub unit_price: Money,
    /// Discounts on this line, as a positive amount.
    #[serde(default)]
    pub discount: Money,
    #[serde(default = "yes")]
    pub taxable: bool,
    #[serde(default)]
    pub tax_lines: Vec<TaxLine>,
}

fn yes() -> bool {
    true
}

impl OrderLine {
    /// Quantity × unit price, rounded to the cent, less the line's discount.
    pub fn net(&self) -> Money {
        use rust_decimal::prelude::ToPrimitive;
        // Half a cent rounds away from zero, as stores and tills do (not to even).
        let gross = (self.quantity * Decimal::from(self.unit_price.cents()))
            .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        Money::from_cents(gross.to_i64().unwrap_or(i64::MAX)) - self.discount
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShippingLine {
    pub title: String,
    pub price: Money,
    #[serde(default)]
    pub tax_lines: Vec<TaxLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Discount {
    pub code: String,
    /// A positive amount taken off the order.
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    /// The store's id for the order.
    pub external_id: String,
    /// The number the merchant and customer see, e.g. "#1001".
    pub number: String,
    pub placed_at: DateTime<Utc>,
    pub currency: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub billing: Option<Address>,
    #[serde(default)]
    pub shipping: Option<Address>,
    pub lines: Vec<OrderLine>,
    /// Order-level discounts (the line discounts are on the lines).
    #[serde(default)]
    pub discounts: Vec<Discount>,
    #[serde(default)]
    pub shipping_lines: Vec<ShippingLine>,
    #[serde(default)]
    pub tax_lines: Vec<TaxLine>,
    /// Whether line prices already include tax (EU/UK/CA stores often do).
    #[serde(default)]
    pub taxes_included: bool,
    #[serde(default)]
    pub payment_gateway: Option<String>,
    #[serde(default)]
    pub financial_status: Option<String>,
    #[serde(default)]
    pub fulfillment_status: Option<String>,
    /// What the store says the order comes to (before any refund).
    pub total: Money,
    /// Money given back after the sale, each refund on its own.
    #[serde(default)]
    pub refunds: Vec<Refund>,
}

/// A product line given back (or just refunded) in a refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundLine {
    #[serde(default)]
    pub sku: String,
    pub title: String,
    pub quantity: Decimal,
    /// What the line refunds before tax.
    pub amount: Money,
}

/// Money given back after the sale. Its parts add up to what went back to the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Refund {
    /// The store's id for the refund.
    pub external_id: String,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub lines: Vec<RefundLine>,
    /// Shipping refunded, before tax.
    #[serde(default)]
    pub shipping: Money,
    /// Tax refunded on the lines and shipping.
    #[serde(default)]
    pub tax: Money,
    /// Money given back that no line or shipping accounts for (a goodwill refund, or a store
    /// such as WooCommerce that reports only the amount).
    #[serde(default)]
    pub adjustment: Money,
}

impl Refund {
    pub fn total(&self) -> Money {
        self.lines.iter().map(|l| l.amount).sum::<Money>() + self.shipping + self.tax + self.adjustment
    }
}

impl Order {
    pub fn tax_total(&self) -> Money {
        self.tax_lines.iter().map(|t| t.amount).sum()
    }

    pub fn shipping_total(&self) -> Money {
        self.shipping_lines.iter().map(|s| s.price).sum()
    }

    pub fn discount_total(&self) -> Money {
        self.discounts.iter().map(|d| d.amount).sum()
    }

    /// The total rebuilt from the order's parts.
    pub fn computed_total(&self) -> Money {
        let lines: Money = self.lines.iter().map(OrderLine::net).sum();
        let tax = if self.taxes_included { Money::ZERO } else { self.tax_total() };
        lines - self.discount_total() + self.shipping_total() + tax
    }

    /// `None` when the store's total equals the sum of its parts; else what is off, for the
    /// log. An order that does not add up is flagged, never silently "fixed".
    pub fn arithmetic_problem(&self) -> Option<String> {
        let computed = self.computed_total();
        (computed != self.total).then(|| {
            format!(
                "the store says order {} comes to {} {}, but its lines, discounts, shipping and tax add up to {} {}",
                self.number, self.total, self.currency, computed, self.currency
            )
        })
    }

    /// Whether `other` would make the same QuickBooks transaction: everything posted is equal
    /// (statuses and refunds, which post nothing themselves, may differ).
    pub fn posts_like(&self, other: &Order) -> bool {
        let posted =
            |o: &Order| Order { financial_status: None, fulfillment_status: None, refunds: Vec::new(), ..o.clone() };
        posted(self) == posted(other)
    }

    pub fn is_paid(&self) -> bool {
        matches!(self.financial_status.as_deref(), Some("paid" | "completed" | "processing"))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn sample_order() -> Order {
        let address = Address {
            first_name: "Ann".into(),
            last_name: "Smith".into(),
            company: "Acme Ltd".into(),
            address1: "12 Long Street".into(),
            city: "New York".into(),
            county: "New York".into(),
            province_code: "NY".into(),
            zip: "10001".into(),
            country_code: "US".into(),
            ..Address::default()
        };
        Order {
            external_id: "450789469".into(),
            number: "#1001".into(),
            placed_at: "2026-11-26T15:04:05Z".parse().unwrap(),
            currency: "USD".into(),
            email: "ann@example.com".into(),
            phone: String::new(),
            billing: Some(address.clone()),
            shipping: Some(address),
            lines: vec![
                OrderLine {
                    sku: "Hammer".into(),
                    title: "Claw hammer".into(),
                    quantity: Decimal::new(2, 0),
                    unit_price: Money::from_cents(1999),
                    discount: Money::ZERO,
                    taxable: true,
                    tax_lines: vec![],
                },
                OrderLine {
                    sku: "GIFT-WRAP".into(),
                    title: "Gift wrap".into(),
                    quantity: Decimal::new(1, 0),
                    unit_price: Money::from_cents(500),
                    discount: Money::from_cents(100),
                    taxable: false,
                    tax_lines: vec![],
                },
            ],
            discounts: vec![Discount { code: "WELCOME".into(), amount: Money::from_cents(400) }],
            shipping_lines: vec![ShippingLine {
                title: "UPS Ground".into(),
                price: Money::from_cents(595),
                tax_lines: vec![],
            }],
            tax_lines: vec![TaxLine {
                title: "NY State Tax".into(),
                rate: Decimal::new(4, 2),
                amount: Money::from_cents(160),
                jurisdiction: Some("NY".into()),
            }],
            taxes_included: false,
            payment_gateway: Some("Visa".into()),
            financial_status: Some("paid".into()),
            fulfillment_status: None,
            total: Money::from_cents(3998 + 400 - 400 + 595 + 160),
            refunds: Vec::new(),
        }
    }

    #[test]
    fn an_order_that_adds_up_has_no_problem() {
        let order = sample_order();
        assert_eq!(order.lines[0].net(), Money::from_cents(3998));
        assert_eq!(order.lines[1].net(), Money::from_cents(400));
        assert_eq!(order.computed_total(), order.total);
        assert_eq!(order.arithmetic_problem(), None);
    }

    #[test]
    fn an_order_that_does_not_add_up_is_flagged_with_both_totals() {
        let mut order = sample_order();
        order.total = order.total + Money::from_cents(1);
        let problem = order.arithmetic_problem().unwrap();
        assert!(problem.contains("47.54 USD") && problem.contains("47.53 USD"), "{problem}");
    }

    #[test]
    fn fractional_quantities_round_to_the_cent() {
        let line = OrderLine {
            sku: String::new(),
            title: "Rope".into(),
            quantity: Decimal::new(15, 1),
            unit_price: Money::from_cents(333),
            discount: Money::ZERO,
            taxable: true,
            tax_lines: vec![],
        };
        assert_eq!(line.net(), Money::from_cents(500));
        let half = OrderLine { quantity: Decimal::new(25, 1), unit_price: Money::from_cents(1), ..line };
        assert_eq!(half.net(), Money::from_cents(3), "2.5 cents round up, not to even");
    }

    #[test]
    fn a_new_status_or_refund_posts_alike_and_a_new_line_does_not() {
        let order = sample_order();
        let mut paid_later = order.clone();
        paid_later.financial_status = Some("refunded".into());
        assert!(order.posts_like(&paid_later));
        let mut edited = order.clone();
        edited.lines[0].quantity = Decimal::new(3, 0);
        assert!(!order.posts_like(&edited));
    }

    #[test]
    fn the_stored_form_round_trips() {
        let order = sample_order();
        let json = serde_json::to_value(&order).unwrap();
        assert_eq!(json["lines"][0]["unitPrice"], "19.99");
        let back: Order = serde_json::from_value(json).unwrap();
        assert_eq!(back, order);
    }
}
