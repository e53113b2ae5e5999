//! How a store refund becomes a QuickBooks credit memo: the refunded lines credit the same
//! items, with the same tax codes, as the order posted them; shipping the shipping item; money
//! no line accounts for the "Store Refund" item.

use uuid::Uuid;

use super::mapping::{MappedOrder, SHIPPING_ITEM};
use super::model::{Order, Refund};
use crate::domain::{Money, RefNumber};
use crate::qbxml::transactions::{TxnHeader, TxnLine, fit};

/// The other-charge item for money given back that no order line accounts for.
pub const REFUND_ITEM: &str = "Store Refund";

#[derive(Debug, Clone)]
pub struct MappedRefund {
    /// The credit memo's header; its customer is the original transaction's, read from QuickBooks.
    pub header: TxnHeader,
    pub lines: Vec<TxnLine>,
    /// What goes back to the customer.
    pub total: Money,
    /// Why the refund cannot be written (a line the order does not have…).
    pub problems: Vec<String>,
}

/// The credit memo for `refund`, the order's `sequence`th. `original_ref` is the number of the
/// order's QuickBooks transaction (the credit memo's is derived from it); `mapped` is the order
/// as the connection's settings write it.
pub fn map_refund(
    order: &Order,
    refund: &Refund,
    sequence: u32,
    original_ref: Option<&str>,
    mapped: &MappedOrder,
    refund_id: Uuid,
    store_name: &str,
) -> MappedRefund {
    let terms = &mapped.for_refunds;
    let mut problems = Vec::new();
    let mut lines = Vec::new();
    for line in &refund.lines {
        let same = |a: &str, b: &str| !a.trim().is_empty() && a.trim().eq_ignore_ascii_case(b.trim());
        let index = order
            .lines
            .iter()
            .position(|l| same(&line.sku, &l.sku))
            .or_else(|| order.lines.iter().position(|l| same(&line.title, &l.title)));
        match index.and_then(|i| terms.product_lines.get(i).cloned().flatten()) {
            Some((item, sales_tax_code)) => lines.push(TxnLine {
                item,
                description: Some(format!("Refund: {}", line.title)),
                quantity: (!line.quantity.is_zero()).then_some(line.quantity),
                amount: Some(line.amount),
                sales_tax_code,
                ..TxnLine::default()
            }),
            None => problems.push(format!(
                "the refund gives back \"{}\" ({}), which is not a line of order {} in QuickBooks",
                line.title,
                if line.sku.is_empty() { "no SKU" } else { line.sku.as_str() },
                order.number
            )),
        }
    }
    if !refund.shipping.is_zero() {
        lines.push(TxnLine {
            item: SHIPPING_ITEM.to_owned(),
            description: Some("Shipping refunded".to_owned()),
            amount: Some(refund.shipping),
            sales_tax_code: terms.shipping_tax_code.clone(),
            ..TxnLine::default()
        });
    }
    if !refund.adjustment.is_zero() {
        lines.push(TxnLine {
            item: REFUND_ITEM.to_owned(),
            description: Some(if refund.note.trim().is_empty() {
                "Refund".to_owned()
            } else {
                format!("Refund: {}", refund.note.trim())
            }),
            amount: Some(refund.adjustment),
            sales_tax_code: terms.exempt_tax_code.clone(),
            ..TxnLine::default()
        });
    }
    // With tax as a line item the store's exact tax is credited; otherwise QuickBooks works it
    // out from the tax item or codes, as it did on the order.
    if let Some(tax_item) = &terms.tax_item
        && !refund.tax.is_zero()
    {
        lines.push(TxnLine { item: tax_item.clone(), amount: Some(refund.tax), ..TxnLine::default() });
    }
    if refund.total().is_zero() || lines.is_empty() {
        problems.push(format!("the refund of order {} gives nothing back", order.number));
    }
    let memo = match refund.note.trim() {
        "" => format!("Refund of {store_name} order {}", order.number),
        note => format!("Refund of {store_name} order {}: {note}", order.number),
    };
    let header = TxnHeader {
        customer: String::new(),
        txn_date: Some(refund.created_at.date_naive()),
        ref_number: original_ref.map(|r| RefNumber::for_refund(r, sequence).to_string()),
        po_number: None,
        terms: None,
        memo: Some(memo),
        other: Some(fit(&format!("{} R{sequence}", order.number), 29)),
        external_guid: Some(format!("{{{}}}", refund_id.to_string().to_uppercase())),
        link_to_txn_id: None,
        ..mapped.header.clone()
    };
    MappedRefund { header, lines, total: refund.total(), problems }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;
    use crate::orders::mapping::RefundTerms;
    use crate::orders::model::RefundLine;
    use crate::orders::model::tests::sample_order;
    use crate::qbxml::transactions::TxnKind;

    fn mapped() -> MappedOrder {
        MappedOrder {
            kind: TxnKind::Invoice,
            then_invoice: false,
            customer: crate::orders::CustomerPlan {
                name: "Ann Smith".into(),
                new_customer: None,
                fallback_single: None,
            },
            header: TxnHeader {
                customer: "Ann Smith".into(),
                class: Some("Web".into()),
                ref_number: Some("1001".into()),
                item_sales_tax: Some("NY State Tax".into()),
                ..TxnHeader::default()
            },
            lines: Vec::new(),
            items_to_create: Vec::new(),
            payment: None,
            unmatched_skus: Vec::new(),
            problems: Vec::new(),
            for_refunds: RefundTerms {
                product_lines: vec![Some(("Tools:Hammer".into(), Some("Tax".into()))), None],
                shipping_tax_code: Some("Non".into()),
                exempt_tax_code: Some("Non".into()),
                tax_item: None,
            },
        }
    }

    fn refund(lines: Vec<RefundLine>) -> Refund {
        Refund {
            external_id: "r1".into(),
            created_at: "2026-11-27T10:00:00Z".parse().unwrap(),
            note: "Too big".into(),
            lines,
            shipping: Money::from_cents(595),
            tax: Money::from_cents(80),
            adjustment: Money::ZERO,
        }
    }

    #[test]
    fn refunded_lines_credit_the_items_the_order_was_posted_with() {
        let line = RefundLine {
            sku: "hammer".into(),
            title: "Claw hammer".into(),
            quantity: Decimal::ONE,
            amount: Money::from_cents(1999),
        };
        let mapped = map_refund(&sample_order(), &refund(vec![line]), 2, Some("1001"), &mapped(), Uuid::nil(), "Shop");
        assert!(mapped.problems.is_empty(), "{:?}", mapped.problems);
        assert_eq!(mapped.lines[0].item, "Tools:Hammer");
        assert_eq!(mapped.lines[0].sales_tax_code.as_deref(), Some("Tax"));
        assert_eq!(mapped.lines[1].item, SHIPPING_ITEM);
        assert_eq!(mapped.header.ref_number.as_deref(), Some("1001R2"));
        assert_eq!(mapped.header.class.as_deref(), Some("Web"), "the class follows the order");
        assert_eq!(mapped.header.other.as_deref(), Some("#1001 R2"));
        assert_eq!(mapped.header.memo.as_deref(), Some("Refund of Shop order #1001: Too big"));
        assert_eq!(mapped.total, Money::from_cents(1999 + 595 + 80));
    }

    #[test]
    fn a_line_the_order_does_not_have_is_a_problem_not_a_guess() {
        let line = RefundLine {
            sku: "SAW".into(),
            title: "Hand saw".into(),
            quantity: Decimal::ONE,
            amount: Money::from_cents(1000),
        };
        let mapped = map_refund(&sample_order(), &refund(vec![line]), 1, Some("1001"), &mapped(), Uuid::nil(), "Shop");
        assert!(mapped.problems[0].contains("Hand saw"), "{:?}", mapped.problems);
    }

    #[test]
    fn an_amount_only_refund_uses_the_refund_item() {
        let amount_only = Refund {
            shipping: Money::ZERO,
            tax: Money::ZERO,
            adjustment: Money::from_cents(750),
            ..refund(Vec::new())
        };
        let mapped = map_refund(&sample_order(), &amount_only, 1, None, &mapped(), Uuid::nil(), "Shop");
        assert_eq!(mapped.lines.len(), 1);
        assert_eq!(
            (mapped.lines[0].item.as_str(), mapped.lines[0].amount),
            (REFUND_ITEM, Some(Money::from_cents(750)))
        );
        assert_eq!(mapped.header.ref_number, None, "QuickBooks numbers it when it numbers the orders");
    }
}
