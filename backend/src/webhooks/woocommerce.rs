//! A WooCommerce order (REST v3 webhook body) as a canonical order.

use chrono::{DateTime, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;

use super::{PayloadError, money, text};
use crate::domain::Money;
use crate::orders::model::{Address, Order, OrderLine, Refund, ShippingLine, TaxLine};

fn address(v: &Value) -> Option<Address> {
    v.is_object().then(|| Address {
        first_name: text(v, "first_name"),
        last_name: text(v, "last_name"),
        company: text(v, "company"),
        address1: text(v, "address_1"),
        address2: text(v, "address_2"),
        city: text(v, "city"),
        county: String::new(),
        province_code: text(v, "state"),
        zip: text(v, "postcode"),
        country_code: text(v, "country"),
        phone: text(v, "phone"),
    })
}

/// Maps a WooCommerce order. Coupons are already inside each line's `total` (its `subtotal`
/// is before them), fees become lines, and shipping tax is part of the order's tax lines.
pub fn to_order(o: &Value) -> Result<Order, PayloadError> {
    let id = text(o, "id");
    if id.is_empty() {
        return Err(PayloadError::Missing("id"));
    }
    // WooCommerce writes the GMT time without an offset.
    let created = text(o, "date_created_gmt");
    let placed_at = NaiveDateTime::parse_from_str(&created, "%Y-%m-%dT%H:%M:%S")
        .map(|t| DateTime::<Utc>::from_naive_utc_and_offset(t, Utc))
        .map_err(|_| PayloadError::Date(created.clone()))?;
    let mut lines = Vec::new();
    for (i, l) in o["line_items"].as_array().into_iter().flatten().enumerate() {
        let field = format!("line_items.{i}");
        let subtotal = money(&l["subtotal"], &field)?;
        let total = money(&l["total"], &field)?;
        let quantity: Decimal = text(l, "quantity").parse().unwrap_or(Decimal::ZERO);
        // WooCommerce's `price` is after coupons; the unit price before them is the subtotal
        // over the quantity, and the discount is whatever makes the line come to its total.
        let unit_price = if quantity.is_zero() {
            subtotal
        } else {
            use rust_decimal::prelude::ToPrimitive;
            let cents = (Decimal::from(subtotal.cents()) / quantity)
                .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
            Money::from_cents(cents.to_i64().unwrap_or(0))
        };
        let line = OrderLine {
            sku: text(l, "sku"),
            title: text(l, "name"),
            quantity,
            unit_price,
            discount: Money::ZERO,
            taxable: false,
            tax_lines: Vec::new(),
        };
        let discount = line.net() - total;
        lines.push(OrderLine { discount, taxable: money(&l["total_tax"], &field)?.cents() != 0, ..line });
    }
    for (i, f) in o["fee_lines"].as_array().into_iter().flatten().enumerate() {
        let field = format!("fee_lines.{i}");
        lines.push(OrderLine {
            sku: String::new(),
            title: text(f, "name"),
            quantity: Decimal::ONE,
            unit_price: money(&f["total"], &field)?,
            discount: Money::ZERO,
            taxable: money(&f["total_tax"], &field)?.cents() != 0,
            tax_lines: Vec::new(),
        });
    }
    let shipping_lines = o["shipping_lines"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            let taxed = money(&s["total_tax"], "shipping_lines")?.cents() != 0;
            Ok(ShippingLine {
                title: text(s, "method_title"),
                price: money(&s["total"], "shipping_lines")?,
                tax_lines: if taxed {
                    vec![TaxLine {
                        title: "Shipping tax".into(),
                        rate: Decimal::ZERO,
                        amount: money(&s["total_tax"], "shipping_lines")?,
                        jurisdiction: None,
                    }]
                } else {
                    Vec::new()
                },
            })
        })
        .collect::<Result<_, PayloadError>>()?;
    let tax_lines = o["tax_lines"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            let rate: Decimal = text(t, "rate_percent").parse().unwrap_or(Decimal::ZERO);
            Ok(TaxLine {
                title: text(t, "label"),
                rate: rate / Decimal::ONE_HUNDRED,
                amount: money(&t["tax_total"], "tax_lines")? + money(&t["shipping_tax_total"], "tax_lines")?,
                jurisdiction: Some(text(t, "rate_code")).filter(|c| !c.is_empty()),
            })
        })
        .collect::<Result<_, PayloadError>>()?;
    let billing = &o["billing"];
    Ok(Order {
        external_id: id,
        number: format!("#{}", text(o, "number")),
        placed_at,
        currency: text(o, "currency"),
        email: text(billing, "email"),
        phone: text(billing, "phone"),
        billing: address(billing),
        shipping: address(&o["shipping"]),
        lines,
        discounts: Vec::new(),
        shipping_lines,
        tax_lines,
        taxes_included: o["prices_include_tax"].as_bool().unwrap_or(false),
        payment_gateway: Some(text(o, "payment_method_title")).filter(|p| !p.is_empty()),
        financial_status: Some(text(o, "status")).filter(|s| !s.is_empty()),
        fulfillment_status: None,
        total: money(&o["total"], "total")?,
        refunds: refunds(o, placed_at)?,
    })
}

/// WooCommerce lists an order's refunds by amount only (`total` is negative, tax included),
/// without a date: the order's last change dates them, which is when the refund was made.
fn refunds(o: &Value, placed_at: DateTime<Utc>) -> Result<Vec<Refund>, PayloadError> {
    let modified = NaiveDateTime::parse_from_str(&text(o, "date_modified_gmt"), "%Y-%m-%dT%H:%M:%S")
        .map(|t| DateTime::<Utc>::from_naive_utc_and_offset(t, Utc))
        .unwrap_or(placed_at);
    o["refunds"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, r)| {
            let id = text(r, "id");
            if id.is_empty() {
                return Err(PayloadError::Missing("refunds.id"));
            }
            let amount = money(&r["total"], &format!("refunds.{i}"))?;
            Ok(Refund {
                external_id: id,
                created_at: modified,
                note: text(r, "reason"),
                lines: Vec::new(),
                shipping: Money::ZERO,
                tax: Money::ZERO,
                adjustment: Money::from_cents(amount.cents().abs()),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixture_maps_and_adds_up() {
        let path = format!(
            "{}/../../shared/fixtures/orders/synthetic__woocommerce_order_created.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let body: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        let order = to_order(&body).unwrap();
        assert_eq!(order.total, Money::from_cents(10068));
        assert!(order.lines.iter().any(|l| l.title.contains("Handling")), "the fee is a line");
        assert_eq!(order.shipping_lines[0].price, Money::from_cents(1000));
        assert_eq!(order.arithmetic_problem(), None, "{:?} vs {}", order.computed_total(), order.total);
    }

    #[test]
    fn refunds_are_amounts_dated_by_the_orders_last_change() {
        let mut body: Value = serde_json::json!({
            "id": 727, "number": "727", "date_created_gmt": "2026-11-20T09:00:00",
            "date_modified_gmt": "2026-11-25T12:30:00", "currency": "USD", "total": "20.00",
            "line_items": [{ "sku": "A", "name": "A", "quantity": 1, "subtotal": "20.00", "total": "20.00", "total_tax": "0.00" }],
            "refunds": [{ "id": 731, "reason": "Damaged", "total": "-7.50" }]
        });
        let order = to_order(&body).unwrap();
        assert_eq!(order.refunds.len(), 1);
        let refund = &order.refunds[0];
        assert_eq!((refund.external_id.as_str(), refund.note.as_str()), ("731", "Damaged"));
        assert_eq!(refund.total(), Money::from_cents(750));
        assert_eq!(refund.created_at.to_rfc3339(), "2026-11-25T12:30:00+00:00");
        body["refunds"][0]["id"] = Value::Null;
        assert_eq!(to_order(&body).unwrap_err(), PayloadError::Missing("refunds.id"));
    }
}
