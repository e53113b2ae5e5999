//! Reading sales back out of QuickBooks: sales receipts, invoices and sales orders changed
//! since the last read.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::lists::{ITEM_PAGE, Page};
use super::request::{element, text_element};
use super::response::RsElement;

/// The transaction kinds read back.
pub const SALES_READ: [&str; 3] = ["SalesReceipt", "Invoice", "SalesOrder"];

/// Sales of `kind` modified since `since` (all when `None`), with their lines.
pub fn modified_sales_query(kind: &str, page: Page<'_>, since: Option<DateTime<Utc>>) -> String {
    let mut body = text_element("MaxReturned", &ITEM_PAGE.to_string());
    if let Some(since) = since {
        body.push_str(&element(
            "ModifiedDateRangeFilter",
            &[],
            &text_element("FromModifiedDate", &since.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()),
        ));
    }
    body.push_str(&text_element("IncludeLineItems", "true"));
    let request_id = format!("SALES-{kind}");
    let mut attributes = vec![("requestID", request_id.as_str())];
    match page {
        Page::Whole | Page::Start => attributes.push(("iterator", "Start")),
        Page::Continue { iterator_id } => {
            attributes.push(("iterator", "Continue"));
            attributes.push(("iteratorID", iterator_id));
        }
    }
    element(&format!("{kind}QueryRq"), &attributes, &body)
}

/// One line of a sale read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SaleLine {
    pub item: String,
    pub description: String,
    pub quantity: String,
    pub amount: String,
}

/// A sale as QuickBooks holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QbSale {
    pub kind: String,
    pub txn_id: String,
    pub ref_number: String,
    pub txn_date: String,
    pub customer: String,
    pub total: String,
    pub memo: String,
    pub time_modified: String,
    pub lines: Vec<SaleLine>,
}

pub fn sales_from(kind: &str, rs: &RsElement) -> Vec<QbSale> {
    rs.rets()
        .filter_map(|ret| {
            let total = ret
                .child_text("TotalAmount")
                .map(String::from)
                .or_else(|| ret.child_text("Subtotal").map(String::from))
                .unwrap_or_else(|| "0.00".to_owned());
            let lines = ret
                .children
                .iter()
                .filter(|c| c.name == format!("{kind}LineRet"))
                .map(|line| SaleLine {
                    item: line.path(&["ItemRef", "FullName"]).map(|n| n.text.trim().to_owned()).unwrap_or_default(),
                    description: line.child_text("Desc").unwrap_or_default().to_owned(),
                    quantity: line.child_text("Quantity").unwrap_or_default().to_owned(),
                    amount: line.child_text("Amount").unwrap_or_default().to_owned(),
                })
                .collect();
            Some(QbSale {
                kind: kind.to_owned(),
                txn_id: ret.child_text("TxnID")?.to_owned(),
                ref_number: ret.child_text("RefNumber").unwrap_or_default().to_owned(),
                txn_date: ret.child_text("TxnDate").unwrap_or_default().to_owned(),
                customer: ret.path(&["CustomerRef", "FullName"]).map(|n| n.text.trim().to_owned()).unwrap_or_default(),
                total,
                memo: ret.child_text("Memo").unwrap_or_default().to_owned(),
                time_modified: ret.child_text("TimeModified").unwrap_or_default().to_owned(),
                lines,
            })
        })
        .collect()
}
