//! An in-memory QuickBooks company that executes qbXML the way QuickBooks does, for the
//! lists Ledgerbridge reads: list queries with QuickBooks' filters and iterators, status
//! codes, and every request checked against Intuit's XSD with `xmllint` first — a request
//! QuickBooks would refuse fails the test.

use std::collections::HashMap;
use std::fmt::Write;
use std::path::PathBuf;
use std::process::Command;

use crate::server::workspace_root;

#[derive(Debug, Clone)]
pub struct ListRecord {
    pub list_id: String,
    pub full_name: String,
    pub is_active: bool,
    /// AccountType for accounts; the Ret element's item type (Inventory, Service…) for items.
    pub kind: String,
    pub manufacturer_part_number: Option<String>,
}

/// One company file.
pub struct Company {
    pub name: String,
    pub country: String,
    pub product_name: String,
    pub supported_versions: Vec<String>,
    /// The FileID the Web Connector stored in the file, once paired.
    pub file_id: Option<(String, String)>,
    pub lists: HashMap<&'static str, Vec<ListRecord>>,
    iterators: HashMap<String, (Vec<ListRecord>, usize)>,
    next_id: u32,
    /// Every request document received, as sent.
    pub requests: Vec<String>,
}

fn record(id: u32, full_name: &str, kind: &str) -> ListRecord {
    ListRecord {
        list_id: format!("{:X}-1400000000", 0x8000_0000u32 + id),
        full_name: full_name.to_owned(),
        is_active: true,
        kind: kind.to_owned(),
        manufacturer_part_number: None,
    }
}

impl Company {
    /// A US company like QuickBooks' sample file, with `extra_items` more items.
    pub fn us_sample(extra_items: usize) -> Self {
        let mut company = Self {
            name: "Sample Outdoor Supply".into(),
            country: "US".into(),
            product_name: "QuickBooks Premier 2024".into(),
            supported_versions: ["1.0", "2.0", "12.0", "13.0"].map(String::from).to_vec(),
            file_id: None,
            lists: HashMap::new(),
            iterators: HashMap::new(),
            next_id: 1,
            requests: Vec::new(),
        };
        company.add("Account", "Checking", "Bank");
        company.add("Account", "Undeposited Funds", "OtherCurrentAsset");
        company.add("Account", "Inventory Asset", "OtherCurrentAsset");
        company.add("Account", "Accounts Receivable", "AccountsReceivable");
        company.add("Account", "Sales", "Income");
        company.add("Account", "Sales:Web Sales", "Income");
        company.add("Account", "Cost of Goods Sold", "CostOfGoodsSold");
        company.add("Account", "Shipping Expense", "Expense");
        company.add("Class", "Web", "");
        company.add("Class", "Retail", "");
        company.add("Terms", "Net 30", "");
        company.add("Terms", "Due on receipt", "");
        company.add("SalesTaxCode", "Tax", "");
        company.add("SalesTaxCode", "Non", "");
        company.add("ItemSalesTax", "NY State Tax", "");
        company.add("ItemSalesTaxGroup", "NYC Combined", "");
        company.add("PaymentMethod", "Visa", "");
        company.add("PaymentMethod", "PayPal", "");
        company.add("ShipMethod", "UPS", "");
        company.add("Item", "Tools", "Service");
        company.add("Item", "Tools:Hammer", "Inventory");
        company.add("Item", "Shipping", "OtherCharge");
        for i in 0..extra_items {
            company.add("Item", &format!("SKU-{i:05}"), "NonInventory");
        }
        if let Some(old) =
            company.lists.get_mut("Account").and_then(|a| a.iter_mut().find(|r| r.full_name == "Shipping Expense"))
        {
            old.is_active = false;
        }
        company
    }

    pub fn add(&mut self, list: &'static str, full_name: &str, kind: &str) {
        let id = self.next_id;
        self.next_id += 1;
        self.lists.entry(list).or_default().push(record(id, full_name, kind));
    }

    /// The Host/Company/Preferences answer the Web Connector sends first in every session.
    pub fn hcp_response(&self) -> String {
        let versions: String = self
            .supported_versions
            .iter()
            .map(|v| format!("<SupportedQBXMLVersion>{v}</SupportedQBXMLVersion>"))
            .collect();
        let file_id = self
            .file_id
            .as_ref()
            .map(|(owner, file)| format!("<DataExtRet><OwnerID>{owner}</OwnerID><DataExtName>FileID</DataExtName><DataExtType>STR255TYPE</DataExtType><DataExtValue>{file}</DataExtValue></DataExtRet>"))
            .unwrap_or_default();
        format!(
            "<?xml version=\"1.0\" ?><QBXML><QBXMLMsgsRs>\
<HostQueryRs requestID=\"0\" statusCode=\"0\" statusSeverity=\"Info\" statusMessage=\"Status OK\"><HostRet><ProductName>{}</ProductName><MajorVersion>34</MajorVersion><MinorVersion>0</MinorVersion><Country>{}</Country>{versions}<IsAutomaticLogin>false</IsAutomaticLogin><QBFileMode>SingleUser</QBFileMode></HostRet></HostQueryRs>\
<CompanyQueryRs requestID=\"1\" statusCode=\"0\" statusSeverity=\"Info\" statusMessage=\"Status OK\"><CompanyRet><IsSampleCompany>false</IsSampleCompany><CompanyName>{}</CompanyName>{file_id}</CompanyRet></CompanyQueryRs>\
<PreferencesQueryRs requestID=\"2\" statusCode=\"0\" statusSeverity=\"Info\" statusMessage=\"Status OK\"><PreferencesRet><AccountingPreferences><IsUsingClassTracking>true</IsUsingClassTracking></AccountingPreferences></PreferencesRet></PreferencesQueryRs>\
</QBXMLMsgsRs></QBXML>",
            escape(&self.product_name),
            self.country,
            escape(&self.name)
        )
    }

    /// Executes a request document and returns QuickBooks' answer.
    pub fn execute(&mut self, request: &str) -> String {
        validate_against_xsd(request);
        self.requests.push(request.to_owned());
        let document = roxmltree::Document::parse(request).expect("a validated request parses");
        let set = document.root_element().children().find(|n| n.has_tag_name("QBXMLMsgsRq")).expect("a message set");
        let mut out = String::from("<?xml version=\"1.0\" ?><QBXML><QBXMLMsgsRs>");
        for rq in set.children().filter(|n| n.is_element()) {
            out.push_str(&self.execute_one(rq));
        }
        out.push_str("</QBXMLMsgsRs></QBXML>");
        out
    }

    fn execute_one(&mut self, rq: roxmltree::Node<'_, '_>) -> String {
        let name = rq.tag_name().name();
        let rs = name.trim_end_matches("Rq").to_owned() + "Rs";
        let request_id = rq.attribute("requestID").unwrap_or("");
        let (list, ret) = match name {
            "AccountQueryRq" => ("Account", "AccountRet"),
            "ClassQueryRq" => ("Class", "ClassRet"),
            "TermsQueryRq" => ("Terms", "StandardTermsRet"),
            "SalesTaxCodeQueryRq" => ("SalesTaxCode", "SalesTaxCodeRet"),
            "ItemSalesTaxQueryRq" => ("ItemSalesTax", "ItemSalesTaxRet"),
            "ItemSalesTaxGroupQueryRq" => ("ItemSalesTaxGroup", "ItemSalesTaxGroupRet"),
            "PaymentMethodQueryRq" => ("PaymentMethod", "PaymentMethodRet"),
            "ShipMethodQueryRq" => ("ShipMethod", "ShipMethodRet"),
            "ItemQueryRq" => ("Item", ""),
            other => {
                return format!(
                    "<{rs} requestID=\"{request_id}\" statusCode=\"3250\" statusSeverity=\"Error\" statusMessage=\"The stand-in does not implement {other}\"/>"
                );
            }
        };
        let text =
            |tag: &str| rq.children().find(|c| c.has_tag_name(tag)).and_then(|c| c.text()).unwrap_or("").to_owned();
        let active = text("ActiveStatus");
        let all: Vec<ListRecord> = self
            .lists
            .get(list)
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|r| match active.as_str() {
                "All" => true,
                "InactiveOnly" => !r.is_active,
                _ => r.is_active,
            })
            .collect();
        if rq.attribute("metaData") == Some("MetaDataOnly") {
            return format!(
                "<{rs} requestID=\"{request_id}\" statusCode=\"0\" statusSeverity=\"Info\" statusMessage=\"Status OK\" retCount=\"{}\"/>",
                all.len()
            );
        }
        let (page, iterator_attrs) = match rq.attribute("iterator") {
            None => (all, String::new()),
            Some(mode) => {
                let max: usize = text("MaxReturned").parse().unwrap_or(usize::MAX);
                let (iterator_id, records, start) = match mode {
                    "Start" => {
                        let id = format!("{{{:08x}-iter}}", self.iterators.len() + 1);
                        (id, all, 0)
                    }
                    "Continue" => {
                        let id = rq.attribute("iteratorID").unwrap_or("").to_owned();
                        match self.iterators.get(&id) {
                            Some((records, position)) => (id, records.clone(), *position),
                            None => {
                                return format!(
                                    "<{rs} requestID=\"{request_id}\" statusCode=\"3391\" statusSeverity=\"Error\" statusMessage=\"The iteratorID is not valid\"/>"
                                );
                            }
                        }
                    }
                    other => panic!("iterator={other} is not something Ledgerbridge should send"),
                };
                let end = (start + max).min(records.len());
                let page = records[start..end].to_vec();
                let remaining = records.len() - end;
                self.iterators.insert(iterator_id.clone(), (records, end));
                (page, format!(" iteratorRemainingCount=\"{remaining}\" iteratorID=\"{iterator_id}\""))
            }
        };
        if page.is_empty() {
            return format!(
                "<{rs} requestID=\"{request_id}\" statusCode=\"1\" statusSeverity=\"Info\" statusMessage=\"A query request did not find a matching object in QuickBooks\"{iterator_attrs}/>"
            );
        }
        let mut body = String::new();
        for record in &page {
            let ret_name = if list == "Item" { format!("Item{}Ret", record.kind) } else { ret.to_owned() };
            let name_field = match list {
                "Account" | "Class" | "Item" => format!(
                    "<Name>{}</Name><FullName>{}</FullName>",
                    escape(record.full_name.rsplit(':').next().unwrap_or("")),
                    escape(&record.full_name)
                ),
                _ => format!("<Name>{}</Name>", escape(&record.full_name)),
            };
            let _ = write!(
                body,
                "<{ret_name}><ListID>{}</ListID><EditSequence>1400000000</EditSequence>{name_field}<IsActive>{}</IsActive>",
                record.list_id, record.is_active
            );
            if list == "Account" {
                let _ = write!(body, "<AccountType>{}</AccountType>", record.kind);
            }
            if let Some(mpn) = &record.manufacturer_part_number {
                let _ = write!(body, "<ManufacturerPartNumber>{}</ManufacturerPartNumber>", escape(mpn));
            }
            let _ = write!(body, "</{ret_name}>");
        }
        format!(
            "<{rs} requestID=\"{request_id}\" statusCode=\"0\" statusSeverity=\"Info\" statusMessage=\"Status OK\"{iterator_attrs}>{body}</{rs}>"
        )
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Intuit's schema for the request's qbXML version.
fn schema_for(request: &str) -> PathBuf {
    let shared = workspace_root().join("../shared/qb/schema");
    if request.contains("<?qbxml version=\"16.0\"?>") {
        shared.join("qbxml16/qbxmlops160.xsd")
    } else {
        shared.join("qbxml13/qbxmlops130.xsd")
    }
}

/// Fails the test unless `xmllint` accepts the request under Intuit's XSD.
pub fn validate_against_xsd(request: &str) {
    assert!(
        request.starts_with("<?xml version=\"1.0\"?>\n<?qbxml version=\""),
        "a request starts with the XML declaration, then the qbxml instruction: {request}"
    );
    let schema = schema_for(request);
    assert!(
        schema.is_file(),
        "Intuit's schema is missing at {} (../shared is reference data beside the project)",
        schema.display()
    );
    let file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(file.path(), request).expect("write request");
    let output = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&schema)
        .arg(file.path())
        .output()
        .expect("xmllint runs (Debian package libxml2-utils)");
    assert!(
        output.status.success(),
        "QuickBooks would refuse this request (0x80040400):\n{}\n{request}",
        String::from_utf8_lossy(&output.stderr)
    );
}
