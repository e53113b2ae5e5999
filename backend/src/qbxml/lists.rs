//! Reading the company's lists: the query for each cached list, and its answer as cache entries.

use super::dom::XmlNode;
use super::request::{element, text_element};
use super::response::RsElement;
use crate::quickbooks_lists::{ListKind, NewListEntry};

/// Items come in pages of this many; other lists are small and come whole.
pub const ITEM_PAGE: u32 = 500;

/// The lists a session reads, in order. Customers are looked up per order, never read whole.
pub const LISTS_READ: [ListKind; 9] = [
    ListKind::Account,
    ListKind::Class,
    ListKind::Terms,
    ListKind::SalesTaxCode,
    ListKind::SalesTaxItem,
    ListKind::SalesTaxGroup,
    ListKind::PaymentMethod,
    ListKind::ShipMethod,
    ListKind::Item,
];

/// The query element and the fields to return, per list.
fn query_shape(kind: ListKind) -> (&'static str, &'static [&'static str]) {
    match kind {
        ListKind::Account => ("AccountQueryRq", &["ListID", "FullName", "IsActive", "AccountType"]),
        ListKind::Class => ("ClassQueryRq", &["ListID", "FullName", "IsActive"]),
        ListKind::Terms => ("TermsQueryRq", &["ListID", "Name", "IsActive"]),
        ListKind::SalesTaxCode => ("SalesTaxCodeQueryRq", &["ListID", "Name", "IsActive", "IsTaxable"]),
        ListKind::SalesTaxItem => ("ItemSalesTaxQueryRq", &["ListID", "Name", "IsActive", "TaxRate"]),
        ListKind::SalesTaxGroup => ("ItemSalesTaxGroupQueryRq", &["ListID", "Name", "IsActive"]),
        ListKind::PaymentMethod => ("PaymentMethodQueryRq", &["ListID", "Name", "IsActive"]),
        ListKind::ShipMethod => ("ShipMethodQueryRq", &["ListID", "Name", "IsActive"]),
        ListKind::Item | ListKind::Customer => {
            ("ItemQueryRq", &["ListID", "FullName", "IsActive", "ManufacturerPartNumber", "BarCodeValue", "DataExtRet"])
        }
    }
}

/// Where a page of an iterated query stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page<'a> {
    /// The whole list in one answer (lists without iterators).
    Whole,
    Start,
    Continue {
        iterator_id: &'a str,
    },
}

/// The query for one list; the request id is the list's name so answers find their list.
pub fn list_query(kind: ListKind, page: Page<'_>) -> String {
    let (name, fields) = query_shape(kind);
    let request_id = crate::db_enum::to_db(&kind);
    let mut body = String::new();
    if page != Page::Whole {
        body.push_str(&text_element("MaxReturned", &ITEM_PAGE.to_string()));
    }
    // All, not just active: the wizard must be able to say "that account is inactive".
    body.push_str(&text_element("ActiveStatus", "All"));
    for field in fields {
        body.push_str(&text_element("IncludeRetElement", field));
    }
    if kind == ListKind::Item {
        // Custom fields made in QuickBooks' own screens belong to owner 0.
        body.push_str(&text_element("OwnerID", "0"));
    }
    let mut attributes = vec![("requestID", request_id.as_str())];
    match page {
        Page::Whole => {}
        Page::Start => attributes.push(("iterator", "Start")),
        Page::Continue { iterator_id } => {
            attributes.push(("iterator", "Continue"));
            attributes.push(("iteratorID", iterator_id));
        }
    }
    element(name, &attributes, &body)
}

/// Asks only how many items there are (no records), so progress is true from the start.
pub const ITEM_COUNT_REQUEST_ID: &str = "ITEM_COUNT";

pub fn item_count_query() -> String {
    element(
        "ItemQueryRq",
        &[("requestID", ITEM_COUNT_REQUEST_ID), ("metaData", "MetaDataOnly")],
        &text_element("ActiveStatus", "All"),
    )
}

/// The cache entries in one answer.
pub fn entries_from(kind: ListKind, rs: &RsElement) -> Vec<NewListEntry> {
    rs.rets().filter_map(|ret| entry_from(kind, ret)).collect()
}

fn entry_from(kind: ListKind, ret: &XmlNode) -> Option<NewListEntry> {
    let list_id = ret.child_text("ListID")?.to_owned();
    let full_name = ret.child_text("FullName").or_else(|| ret.child_text("Name"))?.to_owned();
    let subtype = match kind {
        ListKind::Account => ret.child_text("AccountType").map(String::from),
        // ItemInventoryRet → Inventory, ItemNonInventoryRet → NonInventory, ...
        ListKind::Item => ret.name.strip_prefix("Item").and_then(|n| n.strip_suffix("Ret")).map(String::from),
        _ => None,
    };
    let mut details = serde_json::Map::new();
    for (field, key) in [
        ("ManufacturerPartNumber", "manufacturerPartNumber"),
        ("BarCodeValue", "barcode"),
        ("TaxRate", "taxRate"),
        ("IsTaxable", "isTaxable"),
    ] {
        if let Some(value) = ret.child_text(field) {
            details.insert(key.to_owned(), value.into());
        }
    }
    let custom: serde_json::Map<String, serde_json::Value> = ret
        .children_named("DataExtRet")
        .filter_map(|ext| Some((ext.child_text("DataExtName")?.to_owned(), ext.child_text("DataExtValue")?.into())))
        .collect();
    if !custom.is_empty() {
        details.insert("customFields".to_owned(), custom.into());
    }
    Some(NewListEntry {
        list_id,
        parent_full_name: full_name.rsplit_once(':').map(|(parent, _)| parent.to_owned()),
        full_name,
        subtype,
        is_active: ret.child_text("IsActive").is_none_or(|a| a.eq_ignore_ascii_case("true")),
        details: (!details.is_empty()).then(|| details.into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qbxml::{OnError, QbxmlResponse, QbxmlVersion, RequestDocument};

    #[test]
    fn an_item_page_asks_for_an_iterator_and_custom_fields() {
        let start = list_query(ListKind::Item, Page::Start);
        assert!(start.starts_with("<ItemQueryRq requestID=\"ITEM\" iterator=\"Start\"><MaxReturned>500</MaxReturned><ActiveStatus>All</ActiveStatus>"));
        assert!(start.ends_with("<OwnerID>0</OwnerID></ItemQueryRq>"));
        let next = list_query(ListKind::Item, Page::Continue { iterator_id: "{abc}" });
        assert!(next.contains("iterator=\"Continue\" iteratorID=\"{abc}\""));
    }

    #[test]
    fn every_list_query_is_one_request_document() {
        let mut doc = RequestDocument::new(QbxmlVersion::BASELINE, OnError::ContinueOnError);
        for kind in LISTS_READ {
            doc.push(&list_query(kind, Page::Whole));
        }
        let text = doc.finish();
        assert!(text.contains("<TermsQueryRq requestID=\"TERMS\"><ActiveStatus>All</ActiveStatus><IncludeRetElement>ListID</IncludeRetElement>"));
    }

    #[test]
    fn answers_become_cache_entries() {
        let xml = r#"<?xml version="1.0" ?><QBXML><QBXMLMsgsRs>
            <ItemQueryRs requestID="ITEM" statusCode="0" statusSeverity="Info" statusMessage="Status OK" iteratorRemainingCount="0" iteratorID="{x}">
              <ItemInventoryRet><ListID>8000-1</ListID><FullName>Tools:Hammer</FullName><IsActive>true</IsActive><ManufacturerPartNumber>HM-1</ManufacturerPartNumber>
                <DataExtRet><OwnerID>0</OwnerID><DataExtName>SKU</DataExtName><DataExtType>STR255TYPE</DataExtType><DataExtValue>hammer-01</DataExtValue></DataExtRet></ItemInventoryRet>
              <ItemServiceRet><ListID>8000-2</ListID><FullName>Gift wrap</FullName><IsActive>false</IsActive></ItemServiceRet>
            </ItemQueryRs>
            <AccountQueryRs requestID="ACCOUNT" statusCode="0" statusSeverity="Info"><AccountRet><ListID>1</ListID><FullName>Undeposited Funds</FullName><IsActive>true</IsActive><AccountType>OtherCurrentAsset</AccountType></AccountRet></AccountQueryRs>
            <TermsQueryRs requestID="TERMS" statusCode="0" statusSeverity="Info"><StandardTermsRet><ListID>2</ListID><Name>Net 30</Name><IsActive>true</IsActive></StandardTermsRet></TermsQueryRs>
            </QBXMLMsgsRs></QBXML>"#;
        let answer = QbxmlResponse::parse(xml).unwrap();
        let items = entries_from(ListKind::Item, answer.by_request_id("ITEM").unwrap());
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].full_name, "Tools:Hammer");
        assert_eq!(items[0].parent_full_name.as_deref(), Some("Tools"));
        assert_eq!(items[0].subtype.as_deref(), Some("Inventory"));
        let details = items[0].details.as_ref().unwrap();
        assert_eq!(details["manufacturerPartNumber"], "HM-1");
        assert_eq!(details["customFields"]["SKU"], "hammer-01");
        assert!(!items[1].is_active);
        let accounts = entries_from(ListKind::Account, answer.by_request_id("ACCOUNT").unwrap());
        assert_eq!(accounts[0].subtype.as_deref(), Some("OtherCurrentAsset"));
        let terms = entries_from(ListKind::Terms, answer.by_request_id("TERMS").unwrap());
        assert_eq!(terms[0].full_name, "Net 30");
    }
}

/// Quantities on hand of inventory items changed since `since` (every item when `None`).
pub fn inventory_query(page: Page<'_>, since: Option<chrono::DateTime<chrono::Utc>>) -> String {
    let mut body = text_element("MaxReturned", &ITEM_PAGE.to_string());
    body.push_str(&text_element("ActiveStatus", "All"));
    if let Some(since) = since {
        body.push_str(&text_element("FromModifiedDate", &since.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()));
    }
    for field in ["ListID", "FullName", "QuantityOnHand"] {
        body.push_str(&text_element("IncludeRetElement", field));
    }
    let mut attributes = vec![("requestID", INVENTORY_REQUEST_ID)];
    match page {
        Page::Whole | Page::Start => attributes.push(("iterator", "Start")),
        Page::Continue { iterator_id } => {
            attributes.push(("iterator", "Continue"));
            attributes.push(("iteratorID", iterator_id));
        }
    }
    element("ItemInventoryQueryRq", &attributes, &body)
}

pub const INVENTORY_REQUEST_ID: &str = "INVENTORY";

/// One item's quantity on hand as QuickBooks reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventoryLevel {
    pub list_id: String,
    pub full_name: String,
    /// An exact decimal, as QuickBooks wrote it.
    pub quantity_on_hand: String,
}

pub fn inventory_levels(rs: &RsElement) -> Vec<InventoryLevel> {
    rs.rets()
        .filter_map(|ret| {
            Some(InventoryLevel {
                list_id: ret.child_text("ListID")?.to_owned(),
                full_name: ret.child_text("FullName")?.to_owned(),
                quantity_on_hand: ret.child_text("QuantityOnHand").unwrap_or("0").to_owned(),
            })
        })
        .collect()
}
