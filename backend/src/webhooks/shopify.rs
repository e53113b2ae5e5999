//! A Shopify order (webhook body, or the `order` of a REST answer) as a canonical order.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;

use super::{PayloadError, money, text};
use crate::domain::Money;
use crate::orders::model::{Address, Discount, Order, OrderLine, Refund, RefundLine, ShippingLine, TaxLine};

fn address(value: Option<&Value>) -> Option<Address> {
    let v = value.filter(|v| v.is_object())?;
    Some(Address {
        first_name: text(v, "first_name"),
        last_name: text(v, "last_name"),
        company: text(v, "company"),
        address1: text(v, "address1"),
        address2: text(v, "address2"),
        city: text(v, "city"),
        county: String::new(),
        province_code: text(v, "province_code"),
        zip: text(v, "zip"),
        country_code: text(v, "country_code"),
        phone: text(v, "phone"),
    })
}

fn tax_lines(value: Option<&Value>, field: &str) -> Result<Vec<TaxLine>, PayloadError> {
    value
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|t| {
            Ok(TaxLine {
                title: text(t, "title"),
                rate: text(t, "rate").parse().unwrap_or(Decimal::ZERO),
                amount: money(&t["price"], field)?,
                jurisdiction: None,
            })
        })
        .collect()
}

/// Maps a Shopify order. Discounts come from `discount_allocations` on each line when Shopify
/// sends them (the order's discount codes are their sum), else from the codes themselves.
pub fn to_order(body: &Value) -> Result<Order, PayloadError> {
    let o = body.get("order").filter(|o| o.is_object()).unwrap_or(body);
    let id = text(o, "id");
    if id.is_empty() {
        return Err(PayloadError::Missing("id"));
    }
    let number = match text(o, "name") {
        name if !name.is_empty() => name,
        _ => format!("#{}", text(o, "order_number")),
    };
    let created = text(o, "created_at");
    let placed_at: DateTime<Utc> =
        DateTime::parse_from_rfc3339(&created).map_err(|_| PayloadError::Date(created.clone()))?.with_timezone(&Utc);
    let mut lines = Vec::new();
    let mut allocated = false;
    for (i, l) in o["line_items"].as_array().into_iter().flatten().enumerate() {
        let field = format!("line_items.{i}");
        let allocations: Vec<Money> = l["discount_allocations"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| money(&a["amount"], &field))
            .collect::<Result<_, _>>()?;
        allocated |= !allocations.is_empty();
        let discount =
            if allocations.is_empty() { money(&l["total_discount"], &field)? } else { allocations.into_iter().sum() };
        let title = match text(l, "variant_title") {
            variant if !variant.is_empty() => format!("{} - {variant}", text(l, "title")),
            _ => text(l, "title"),
        };
        lines.push(OrderLine {
            sku: text(l, "sku"),
            title,
            quantity: text(l, "quantity").parse().unwrap_or(Decimal::ZERO),
            unit_price: money(&l["price"], &field)?,
            discount,
            taxable: l["taxable"].as_bool().unwrap_or(true),
            tax_lines: tax_lines(l.get("tax_lines"), &field)?,
        });
    }
    let discounts = if allocated {
        Vec::new()
    } else {
        o["discount_codes"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| Ok(Discount { code: text(d, "code"), amount: money(&d["amount"], "discount_codes")? }))
            .collect::<Result<_, PayloadError>>()?
    };
    let shipping_lines = o["shipping_lines"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            Ok(ShippingLine {
                title: text(s, "title"),
                price: money(&s["price"], "shipping_lines")?,
                tax_lines: tax_lines(s.get("tax_lines"), "shipping_lines")?,
            })
        })
        .collect::<Result<_, PayloadError>>()?;
    let gateway = match text(o, "gateway") {
        g if !g.is_empty() => Some(g),
        _ => o["payment_gateway_names"].get(0).and_then(Value::as_str).map(String::from),
    };
    Ok(Order {
        external_id: id,
        number,
        placed_at,
        currency: text(o, "currency"),
        email: match text(o, "email") {
            e if !e.is_empty() => e,
            _ => text(o, "contact_email"),
        },
        phone: text(o, "phone"),
        billing: address(o.get("billing_address")),
        shipping: address(o.get("shipping_address")),
        lines,
        discounts,
        shipping_lines,
        tax_lines: tax_lines(o.get("tax_lines"), "tax_lines")?,
        taxes_included: o["taxes_included"].as_bool().unwrap_or(false),
        payment_gateway: gateway,
        financial_status: Some(text(o, "financial_status")).filter(|s| !s.is_empty()),
        fulfillment_status: Some(text(o, "fulfillment_status")).filter(|s| !s.is_empty()),
        total: money(&o["total_price"], "total_price")?,
        refunds: o["refunds"].as_array().into_iter().flatten().map(to_refund).collect::<Result<_, PayloadError>>()?,
    })
}

/// A positive amount, whichever sign Shopify wrote it with (adjustments are negative).
fn given_back(value: &Value, field: &str) -> Result<Money, PayloadError> {
    Ok(Money::from_cents(money(value, field)?.cents().abs()))
}

/// Maps a Shopify refund: the `refunds` of an order, or the body of a refunds/create webhook.
/// Shipping comes from `refund_shipping_lines` (newer API versions) or the `shipping_refund`
/// order adjustments; any other adjustment (a refund discrepancy) is money without a line.
pub fn to_refund(r: &Value) -> Result<Refund, PayloadError> {
    let id = text(r, "id");
    if id.is_empty() {
        return Err(PayloadError::Missing("refunds.id"));
    }
    let created = text(r, "created_at");
    let created_at =
        DateTime::parse_from_rfc3339(&created).map_err(|_| PayloadError::Date(created.clone()))?.with_timezone(&Utc);
    let mut lines = Vec::new();
    let mut tax = Money::ZERO;
    for (i, l) in r["refund_line_items"].as_array().into_iter().flatten().enumerate() {
        let field = format!("refund_line_items.{i}");
        let item = &l["line_item"];
        lines.push(RefundLine {
            sku: text(item, "sku"),
            title: text(item, "title"),
            quantity: text(l, "quantity").parse().unwrap_or(Decimal::ZERO),
            amount: given_back(&l["subtotal"], &field)?,
        });
        tax = tax + given_back(&l["total_tax"], &field)?;
    }
    let mut shipping = Money::ZERO;
    let mut adjustment = Money::ZERO;
    for (i, a) in r["order_adjustments"].as_array().into_iter().flatten().enumerate() {
        let field = format!("order_adjustments.{i}");
        match text(a, "kind").as_str() {
            "shipping_refund" => shipping = shipping + given_back(&a["amount"], &field)?,
            _ => adjustment = adjustment + given_back(&a["amount"], &field)?,
        }
        tax = tax + given_back(&a["tax_amount"], &field)?;
    }
    for (i, s) in r["refund_shipping_lines"].as_array().into_iter().flatten().enumerate() {
        let field = format!("refund_shipping_lines.{i}");
        shipping = shipping + given_back(&s["subtotal_amount_set"]["shop_money"]["amount"], &field)?;
        tax = tax + given_back(&s["tax_amount_set"]["shop_money"]["amount"], &field)?;
    }
    Ok(Refund { external_id: id, created_at, note: text(r, "note"), lines, shipping, tax, adjustment })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Value {
        let path = format!("{}/../../shared/fixtures/orders/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    #[test]
    fn the_modern_fixture_maps_and_adds_up() {
        let order = to_order(&fixture("synthetic__shopify_orders_create_modern.json")).unwrap();
        assert_eq!(order.number, "#1001");
        assert_eq!(order.total, Money::from_cents(9619));
        assert_eq!(order.lines[0].sku, "WIDGET-RED");
        assert_eq!(order.lines[0].discount, Money::from_cents(500), "from discount_allocations");
        assert!(order.discounts.is_empty(), "the code's 9.00 is the allocations' sum, not counted twice");
        assert_eq!(order.billing.as_ref().unwrap().company, "Acme Widgets LLC");
        assert_eq!(order.payment_gateway.as_deref(), Some("shopify_payments"));
        assert_eq!(order.arithmetic_problem(), None, "{:?}", order.computed_total());
    }

    #[test]
    fn the_classic_rest_fixtures_map_from_their_order_wrapper() {
        for name in ["shopify_python_api__order.json", "shopify_api_ruby__order.json"] {
            let order = to_order(&fixture(name)).unwrap();
            assert!(order.lines.iter().any(|l| l.sku.starts_with("IPOD2008")), "{name}");
            assert_eq!(order.discounts[0].code, "TENOFF", "{name}");
        }
    }

    #[test]
    fn a_refund_maps_its_lines_shipping_tax_and_discrepancy() {
        let refund = serde_json::json!({
            "id": 509562969, "order_id": 450789469, "created_at": "2026-11-27T10:00:00-05:00", "note": "Too big",
            "refund_line_items": [
                { "quantity": 1, "subtotal": 19.99, "total_tax": 1.6,
                  "line_item": { "sku": "Hammer", "title": "Claw hammer" } }
            ],
            "order_adjustments": [
                { "amount": "-5.95", "tax_amount": "0.00", "kind": "shipping_refund" },
                { "amount": "-0.50", "tax_amount": "0.00", "kind": "refund_discrepancy" }
            ]
        });
        let refund = to_refund(&refund).unwrap();
        assert_eq!(refund.external_id, "509562969");
        assert_eq!(refund.lines[0].sku, "Hammer");
        assert_eq!(refund.lines[0].amount, Money::from_cents(1999));
        assert_eq!(
            (refund.shipping, refund.tax, refund.adjustment),
            (Money::from_cents(595), Money::from_cents(160), Money::from_cents(50))
        );
        assert_eq!(refund.total(), Money::from_cents(1999 + 595 + 160 + 50));
        assert_eq!(refund.created_at.to_rfc3339(), "2026-11-27T15:00:00+00:00");
    }

    #[test]
    fn an_order_without_an_id_or_date_is_refused() {
        assert_eq!(to_order(&serde_json::json!({ "name": "#1" })), Err(PayloadError::Missing("id")));
        assert!(matches!(
            to_order(&serde_json::json!({ "id": 1, "created_at": "yesterday" })),
            Err(PayloadError::Date(_))
        ));
    }
}
