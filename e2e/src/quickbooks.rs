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
    pub barcode: Option<String>,
    /// Custom fields made in QuickBooks' own screens (owner 0): name and value.
    pub custom_fields: Vec<(String, String)>,
    /// Sales tax items and groups: the rate in thousandths of a percent (8.875 % = 8875).
    pub tax_rate: Option<i64>,
    /// Inventory items: the quantity on hand, and when the item last changed (UTC).
    pub quantity_on_hand: Option<String>,
    pub modified: chrono::DateTime<chrono::Utc>,
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
    /// Customers by full name (names are unique across customers, vendors and employees).
    pub customers: Vec<ListRecord>,
    /// Names used by vendors, employees and other names: a customer cannot take them (3100).
    pub other_names: Vec<String>,
    pub transactions: Vec<Transaction>,
    pub payments: Vec<ReceivedPayment>,
    /// Money refunded against credit memos (ARRefundCreditCard): `applied_to` is the credit memo.
    pub credit_refunds: Vec<ReceivedPayment>,
    /// Errors to answer instead of executing, once each: (request element, statusCode, message).
    pub inject: Vec<(String, i32, String)>,
    next_ref: u32,
    next_txn: u32,
    /// Whether every request is checked with xmllint (tests: always; load benchmarks: once per
    /// kind of request is enough, and xmllint would be most of the time measured).
    pub validate: bool,
    /// How long QuickBooks takes to answer a request, as a real company file does.
    pub latency: std::time::Duration,
    /// The stand-in's own time: executing, validating and `latency`, summed.
    pub busy: std::time::Duration,
}

/// A sales transaction QuickBooks holds.
#[derive(Debug, Clone)]
pub struct Transaction {
    pub kind: String,
    pub txn_id: String,
    pub ref_number: String,
    pub customer: String,
    pub txn_date: String,
    pub memo: String,
    pub other: String,
    pub class: Option<String>,
    pub item_sales_tax: Option<String>,
    /// (item, amount in cents, sales tax code)
    pub lines: Vec<(String, i64, Option<String>)>,
    pub total_cents: i64,
    /// Credit memos: the credit not yet refunded or applied.
    pub credit_remaining_cents: i64,
    /// Voided: kept with its number, its amounts zero.
    pub voided: bool,
    pub modified: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone)]
pub struct ReceivedPayment {
    pub txn_id: String,
    pub applied_to: String,
    pub amount_cents: i64,
    /// A payment that applies a credit memo: the credit memo's TxnID.
    pub credit_from: Option<String>,
}

fn record(id: u32, full_name: &str, kind: &str) -> ListRecord {
    ListRecord {
        list_id: format!("{:X}-1400000000", 0x8000_0000u32 + id),
        full_name: full_name.to_owned(),
        is_active: true,
        kind: kind.to_owned(),
        manufacturer_part_number: None,
        barcode: None,
        custom_fields: Vec::new(),
        tax_rate: None,
        quantity_on_hand: None,
        modified: chrono::Utc::now(),
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
            customers: Vec::new(),
            other_names: vec!["Office Depot".into()],
            transactions: Vec::new(),
            payments: Vec::new(),
            credit_refunds: Vec::new(),
            next_txn: 0x1000,
            validate: true,
            latency: std::time::Duration::ZERO,
            busy: std::time::Duration::ZERO,
            inject: Vec::new(),
            next_ref: 1,
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
        company.set_tax_rate("NY State Tax", 4_000);
        company.set_tax_rate("NYC Combined", 8_875);
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

    pub fn set_tax_rate(&mut self, name: &str, thousandths_of_percent: i64) {
        for list in ["ItemSalesTax", "ItemSalesTaxGroup", "SalesTaxCode"] {
            if let Some(record) = self.lists.get_mut(list).and_then(|l| l.iter_mut().find(|r| r.full_name == name)) {
                record.tax_rate = Some(thousandths_of_percent);
            }
        }
    }

    /// A sale entered in QuickBooks by the merchant (not by Ledgerbridge).
    pub fn record_sale(&mut self, kind: &str, ref_number: &str, customer: &str, lines: &[(&str, i64)]) -> String {
        let txn_id = format!("{:X}-1500000000", 0x9000 + self.transactions.len());
        self.transactions.push(Transaction {
            kind: kind.to_owned(),
            txn_id: txn_id.clone(),
            ref_number: ref_number.to_owned(),
            customer: customer.to_owned(),
            txn_date: "2026-11-26".to_owned(),
            memo: "Entered in QuickBooks".to_owned(),
            other: String::new(),
            class: None,
            item_sales_tax: None,
            lines: lines.iter().map(|(item, amount)| ((*item).to_owned(), *amount, None)).collect(),
            total_cents: lines.iter().map(|(_, amount)| amount).sum(),
            credit_remaining_cents: 0,
            voided: false,
            modified: chrono::Utc::now(),
        });
        txn_id
    }

    /// Sets an inventory item's quantity on hand, as a stock count in QuickBooks would.
    pub fn set_quantity(&mut self, full_name: &str, quantity: &str) {
        if let Some(item) =
            self.lists.get_mut("Item").and_then(|items| items.iter_mut().find(|i| i.full_name == full_name))
        {
            item.quantity_on_hand = Some(quantity.to_owned());
            item.modified = chrono::Utc::now();
        }
    }

    fn tax_rate_of(&self, name: &str) -> i64 {
        ["ItemSalesTax", "ItemSalesTaxGroup", "SalesTaxCode"]
            .iter()
            .filter_map(|list| self.lists.get(list))
            .flatten()
            .find(|r| r.full_name.eq_ignore_ascii_case(name))
            .and_then(|r| r.tax_rate)
            .unwrap_or(0)
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
        let started = std::time::Instant::now();
        let answer = self.execute_untimed(request);
        std::thread::sleep(self.latency);
        self.busy += started.elapsed();
        answer
    }

    fn execute_untimed(&mut self, request: &str) -> String {
        if self.validate {
            validate_against_xsd(request);
        }
        self.requests.push(request.to_owned());
        let document = roxmltree::Document::parse(request).expect("a validated request parses");
        let set = document.root_element().children().find(|n| n.has_tag_name("QBXMLMsgsRq")).expect("a message set");
        let stop_on_error = set.attribute("onError") == Some("stopOnError");
        let mut macros: HashMap<String, String> = HashMap::new();
        let mut out = String::from("<?xml version=\"1.0\" ?><QBXML><QBXMLMsgsRs>");
        for rq in set.children().filter(|n| n.is_element()) {
            let name = rq.tag_name().name().to_owned();
            let answer = match self.inject.iter().position(|(target, _, _)| *target == name) {
                Some(index) => {
                    let (_, code, message) = self.inject.remove(index);
                    let rs = name.trim_end_matches("Rq").to_owned() + "Rs";
                    format!(
                        "<{rs} requestID=\"{}\" statusCode=\"{code}\" statusSeverity=\"Error\" statusMessage=\"{}\"/>",
                        rq.attribute("requestID").unwrap_or(""),
                        escape(&message)
                    )
                }
                None => self.execute_one(rq, &mut macros),
            };
            let failed = answer.contains("statusSeverity=\"Error\"");
            out.push_str(&answer);
            if failed && stop_on_error {
                break;
            }
        }
        out.push_str("</QBXMLMsgsRs></QBXML>");
        out
    }

    fn execute_one(&mut self, rq: roxmltree::Node<'_, '_>, macros: &mut HashMap<String, String>) -> String {
        let name = rq.tag_name().name();
        let rs = name.trim_end_matches("Rq").to_owned() + "Rs";
        let request_id = rq.attribute("requestID").unwrap_or("");
        if let Some(answer) = self.execute_write(name, &rs, request_id, rq, macros) {
            return answer;
        }
        let (list, ret) = match name {
            "AccountQueryRq" => ("Account", "AccountRet"),
            "ClassQueryRq" => ("Class", "ClassRet"),
            "TermsQueryRq" => ("Terms", "StandardTermsRet"),
            "SalesTaxCodeQueryRq" => ("SalesTaxCode", "SalesTaxCodeRet"),
            "ItemSalesTaxQueryRq" => ("ItemSalesTax", "ItemSalesTaxRet"),
            "ItemSalesTaxGroupQueryRq" => ("ItemSalesTaxGroup", "ItemSalesTaxGroupRet"),
            "PaymentMethodQueryRq" => ("PaymentMethod", "PaymentMethodRet"),
            "ShipMethodQueryRq" => ("ShipMethod", "ShipMethodRet"),
            "ItemQueryRq" | "ItemInventoryQueryRq" => ("Item", ""),
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
            .filter(|r| name != "ItemInventoryQueryRq" || r.kind == "Inventory")
            .filter(|r| match text("FromModifiedDate") {
                from if from.is_empty() => true,
                from => chrono::DateTime::parse_from_rfc3339(&from).map(|f| r.modified >= f).unwrap_or(true),
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
            if let Some(quantity) = &record.quantity_on_hand {
                let _ = write!(body, "<QuantityOnHand>{quantity}</QuantityOnHand>");
            }
            if let Some(mpn) = &record.manufacturer_part_number {
                let _ = write!(body, "<ManufacturerPartNumber>{}</ManufacturerPartNumber>", escape(mpn));
            }
            if let Some(barcode) = &record.barcode {
                let _ = write!(body, "<BarCodeValue>{}</BarCodeValue>", escape(barcode));
            }
            // Custom fields come back only to a query that names their owner.
            if rq.children().any(|c| c.has_tag_name("OwnerID") && c.text() == Some("0")) {
                for (name, value) in &record.custom_fields {
                    let _ = write!(
                        body,
                        "<DataExtRet><OwnerID>0</OwnerID><DataExtName>{}</DataExtName><DataExtType>STR255TYPE</DataExtType><DataExtValue>{}</DataExtValue></DataExtRet>",
                        escape(name),
                        escape(value)
                    );
                }
            }
            let _ = write!(body, "</{ret_name}>");
        }
        format!(
            "<{rs} requestID=\"{request_id}\" statusCode=\"0\" statusSeverity=\"Info\" statusMessage=\"Status OK\"{iterator_attrs}>{body}</{rs}>"
        )
    }
}

/// Escapes text for element content and for double-quoted attributes alike: QuickBooks'
/// status messages quote names (`The name "Office Depot" of the list element is already in
/// use.`), and a bare `"` there would end the attribute.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
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

fn child<'a>(node: roxmltree::Node<'a, 'a>, name: &str) -> Option<roxmltree::Node<'a, 'a>> {
    node.children().find(|c| c.has_tag_name(name))
}

fn text_of(node: roxmltree::Node<'_, '_>, name: &str) -> Option<String> {
    child(node, name).and_then(|c| c.text()).map(|t| t.to_owned())
}

fn ref_name(node: roxmltree::Node<'_, '_>, name: &str) -> Option<String> {
    child(node, name).and_then(|r| text_of(r, "FullName"))
}

fn cents(text: &str) -> i64 {
    let negative = text.starts_with('-');
    let digits = text.trim_start_matches(['-', '+']);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let value = whole.parse::<i64>().unwrap_or(0) * 100
        + format!("{:0<2}", &fraction[..fraction.len().min(2)]).parse::<i64>().unwrap_or(0);
    if negative { -value } else { value }
}

/// Quantity × rate, in cents, rounded half away from zero.
fn times(quantity: &str, rate: &str) -> i64 {
    let scale = |t: &str| -> (i128, u32) {
        let (w, f) = t.split_once('.').unwrap_or((t, ""));
        (format!("{w}{f}").parse::<i128>().unwrap_or(0), f.len() as u32)
    };
    let (q, qs) = scale(quantity);
    let (r, rs) = scale(rate);
    let product = q * r * 100;
    let divisor = 10i128.pow(qs + rs);
    ((product * 2 + divisor.signum() * divisor) / (2 * divisor)) as i64
}

fn money(cents: i64) -> String {
    format!("{}{}.{:02}", if cents < 0 { "-" } else { "" }, cents.abs() / 100, cents.abs() % 100)
}

impl Company {
    fn list_has(&self, list: &str, full_name: &str) -> bool {
        self.lists
            .get(list)
            .is_some_and(|records| records.iter().any(|r| r.full_name.eq_ignore_ascii_case(full_name) && r.is_active))
    }

    fn new_txn_id(&mut self) -> String {
        self.next_txn += 1;
        format!("{:X}-1400000000", self.next_txn)
    }

    /// A TxnID written as itself or as a macro defined earlier in the message set.
    fn txn_id_of(node: roxmltree::Node<'_, '_>, macros: &HashMap<String, String>) -> Result<String, String> {
        match node.attribute("useMacro") {
            Some(name) => macros.get(name).cloned().ok_or_else(|| name.to_owned()),
            None => Ok(node.text().unwrap_or_default().to_owned()),
        }
    }

    fn error(rs: &str, request_id: &str, code: i32, message: &str) -> String {
        format!(
            "<{rs} requestID=\"{request_id}\" statusCode=\"{code}\" statusSeverity=\"Error\" statusMessage=\"{}\"/>",
            escape(message)
        )
    }

    /// Customers, items, transactions and payments; `None` for requests it does not write.
    fn execute_write(
        &mut self,
        name: &str,
        rs: &str,
        request_id: &str,
        rq: roxmltree::Node<'_, '_>,
        macros: &mut HashMap<String, String>,
    ) -> Option<String> {
        let ok = |body: String| {
            format!(
                "<{rs} requestID=\"{request_id}\" statusCode=\"0\" statusSeverity=\"Info\" statusMessage=\"Status OK\">{body}</{rs}>"
            )
        };
        Some(match name {
            "CustomerQueryRq" => {
                let wanted: Vec<String> = rq
                    .children()
                    .filter(|c| c.has_tag_name("FullName"))
                    .filter_map(|c| c.text().map(String::from))
                    .collect();
                let found: Vec<&ListRecord> = self
                    .customers
                    .iter()
                    .filter(|c| wanted.iter().any(|w| w.eq_ignore_ascii_case(&c.full_name)))
                    .collect();
                if found.is_empty() {
                    return Some(format!(
                        "<{rs} requestID=\"{request_id}\" statusCode=\"500\" statusSeverity=\"Warn\" statusMessage=\"The query request has not been fully completed. There was a required element that could not be found in QuickBooks.\"/>"
                    ));
                }
                ok(found.iter().map(|c| format!("<CustomerRet><ListID>{}</ListID><EditSequence>1</EditSequence><FullName>{}</FullName></CustomerRet>", c.list_id, escape(&c.full_name))).collect())
            }
            "CustomerAddRq" => {
                let add = child(rq, "CustomerAdd")?;
                let customer = text_of(add, "Name").unwrap_or_default();
                if customer.chars().count() > 41 {
                    return Some(Self::error(rs, request_id, 3070, "The string in the field Name is too long."));
                }
                if self.customers.iter().any(|c| c.full_name.eq_ignore_ascii_case(&customer))
                    || self.other_names.iter().any(|n| n.eq_ignore_ascii_case(&customer))
                {
                    return Some(Self::error(
                        rs,
                        request_id,
                        3100,
                        &format!("The name \"{customer}\" of the list element is already in use."),
                    ));
                }
                let id = self.next_id;
                self.next_id += 1;
                let record = record(id, &customer, "");
                let body = format!(
                    "<CustomerRet><ListID>{}</ListID><EditSequence>1</EditSequence><Name>{}</Name><FullName>{}</FullName></CustomerRet>",
                    record.list_id,
                    escape(&customer),
                    escape(&customer)
                );
                self.customers.push(record);
                ok(body)
            }
            "ItemNonInventoryAddRq" | "ItemInventoryAddRq" | "ItemOtherChargeAddRq" | "ItemDiscountAddRq" => {
                let element = name.trim_end_matches("Rq");
                let add = child(rq, element)?;
                let item = text_of(add, "Name").unwrap_or_default();
                if self.list_has("Item", &item) {
                    return Some(Self::error(
                        rs,
                        request_id,
                        3100,
                        &format!("The name \"{item}\" of the list element is already in use."),
                    ));
                }
                for account in add.descendants().filter(|n| n.tag_name().name().ends_with("AccountRef")) {
                    let account_name = text_of(account, "FullName").unwrap_or_default();
                    if !self.list_has("Account", &account_name) {
                        return Some(Self::error(
                            rs,
                            request_id,
                            3140,
                            &format!(
                                "There is an invalid reference to QuickBooks Account \"{account_name}\" in the {element}."
                            ),
                        ));
                    }
                }
                let kind = element.trim_start_matches("Item").trim_end_matches("Add").to_owned();
                self.add("Item", &item, &kind);
                let id = self.lists["Item"].last().map(|r| r.list_id.clone()).unwrap_or_default();
                ok(format!(
                    "<Item{kind}Ret><ListID>{id}</ListID><EditSequence>1</EditSequence><Name>{}</Name><FullName>{}</FullName><IsActive>true</IsActive></Item{kind}Ret>",
                    escape(&item),
                    escape(&item)
                ))
            }
            "InvoiceQueryRq" | "SalesReceiptQueryRq" | "SalesOrderQueryRq" | "EstimateQueryRq"
                if rq.attribute("iterator").is_some() =>
            {
                // Changes since a moment, with their lines: one page, as the stand-in's sets are small.
                let kind = name.trim_end_matches("QueryRq");
                let since = child(rq, "ModifiedDateRangeFilter")
                    .and_then(|f| text_of(f, "FromModifiedDate"))
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok());
                let found: Vec<&Transaction> = self
                    .transactions
                    .iter()
                    .filter(|t| t.kind == kind && since.is_none_or(|s| t.modified >= s))
                    .collect();
                let iterator = format!(" iteratorRemainingCount=\"0\" iteratorID=\"{{{kind}-iter}}\"");
                if found.is_empty() {
                    return Some(format!(
                        "<{rs} requestID=\"{request_id}\" statusCode=\"1\" statusSeverity=\"Info\" statusMessage=\"A query request did not find a matching object in QuickBooks\"{iterator}/>"
                    ));
                }
                let body: String = found
                    .iter()
                    .map(|t| {
                        let lines: String = t
                            .lines
                            .iter()
                            .enumerate()
                            .map(|(i, (item, amount, _))| format!("<{kind}LineRet><TxnLineID>{i}</TxnLineID><ItemRef><FullName>{}</FullName></ItemRef><Amount>{}</Amount></{kind}LineRet>", escape(item), money(*amount)))
                            .collect();
                        let total = if kind == "Invoice" { format!("<Subtotal>{}</Subtotal>", money(t.total_cents)) } else { format!("<TotalAmount>{}</TotalAmount>", money(t.total_cents)) };
                        format!(
                            "<{kind}Ret><TxnID>{}</TxnID><TimeModified>{}</TimeModified><EditSequence>1</EditSequence><CustomerRef><FullName>{}</FullName></CustomerRef><TxnDate>{}</TxnDate><RefNumber>{}</RefNumber>{total}<Memo>{}</Memo>{lines}</{kind}Ret>",
                            t.txn_id, t.modified.format("%Y-%m-%dT%H:%M:%S+00:00"), escape(&t.customer), t.txn_date, escape(&t.ref_number), escape(&t.memo)
                        )
                    })
                    .collect();
                format!(
                    "<{rs} requestID=\"{request_id}\" statusCode=\"0\" statusSeverity=\"Info\" statusMessage=\"Status OK\"{iterator}>{body}</{rs}>"
                )
            }
            "InvoiceQueryRq"
            | "SalesReceiptQueryRq"
            | "SalesOrderQueryRq"
            | "EstimateQueryRq"
            | "CreditMemoQueryRq" => {
                let kind = name.trim_end_matches("QueryRq");
                if let Some(wanted) = text_of(rq, "TxnID") {
                    let Some(t) = self.transactions.iter().find(|t| t.kind == kind && t.txn_id == wanted) else {
                        return Some(Self::error(
                            rs,
                            request_id,
                            500,
                            &format!("The query request has not been fully completed. There was a required element (\"{wanted}\") that could not be found in QuickBooks."),
                        ))
                        .map(|e| e.replace("statusSeverity=\"Error\"", "statusSeverity=\"Warn\""));
                    };
                    return Some(ok(format!(
                        "<{kind}Ret><TxnID>{}</TxnID><CustomerRef><FullName>{}</FullName></CustomerRef><RefNumber>{}</RefNumber></{kind}Ret>",
                        t.txn_id,
                        escape(&t.customer),
                        escape(&t.ref_number)
                    )));
                }
                let by_ref = text_of(rq, "RefNumber");
                let by_date = child(rq, "TxnDateRangeFilter").and_then(|f| text_of(f, "FromTxnDate"));
                let found: Vec<&Transaction> = self
                    .transactions
                    .iter()
                    .filter(|t| t.kind == kind)
                    .filter(|t| by_ref.as_ref().is_none_or(|r| r.eq_ignore_ascii_case(&t.ref_number)))
                    .filter(|t| by_date.as_ref().is_none_or(|d| *d == t.txn_date))
                    .collect();
                if found.is_empty() {
                    return Some(format!(
                        "<{rs} requestID=\"{request_id}\" statusCode=\"1\" statusSeverity=\"Info\" statusMessage=\"A query request did not find a matching object in QuickBooks\"/>"
                    ));
                }
                ok(found
                    .iter()
                    .map(|t| {
                        let remaining = if kind == "CreditMemo" { format!("<CreditRemaining>{}</CreditRemaining>", money(t.credit_remaining_cents)) } else { String::new() };
                        format!("<{kind}Ret><TxnID>{}</TxnID><EditSequence>1</EditSequence><TxnDate>{}</TxnDate><RefNumber>{}</RefNumber>{remaining}<Memo>{}</Memo><Other>{}</Other></{kind}Ret>", t.txn_id, t.txn_date, escape(&t.ref_number), escape(&t.memo), escape(&t.other))
                    })
                    .collect())
            }
            "InvoiceAddRq" | "SalesReceiptAddRq" | "SalesOrderAddRq" | "EstimateAddRq" | "CreditMemoAddRq" => {
                let kind = name.trim_end_matches("AddRq").to_owned();
                let add = child(rq, &format!("{kind}Add"))?;
                let customer = ref_name(add, "CustomerRef").unwrap_or_default();
                if !self.customers.iter().any(|c| c.full_name.eq_ignore_ascii_case(&customer)) {
                    return Some(Self::error(
                        rs,
                        request_id,
                        3140,
                        &format!("There is an invalid reference to QuickBooks Customer \"{customer}\" in the {kind}."),
                    ));
                }
                for (reference, list) in [
                    ("ClassRef", "Class"),
                    ("ARAccountRef", "Account"),
                    ("TermsRef", "Terms"),
                    ("DepositToAccountRef", "Account"),
                    ("PaymentMethodRef", "PaymentMethod"),
                    ("ItemSalesTaxRef", ""),
                ] {
                    if let Some(value) = ref_name(add, reference) {
                        let exists = if list.is_empty() {
                            self.list_has("ItemSalesTax", &value) || self.list_has("ItemSalesTaxGroup", &value)
                        } else {
                            self.list_has(list, &value)
                        };
                        if !exists {
                            return Some(Self::error(
                                rs,
                                request_id,
                                3140,
                                &format!(
                                    "There is an invalid reference to QuickBooks {reference} \"{value}\" in the {kind}."
                                ),
                            ));
                        }
                    }
                }
                let mut lines = Vec::new();
                for line in add.children().filter(|c| c.tag_name().name() == format!("{kind}LineAdd")) {
                    let item = ref_name(line, "ItemRef").unwrap_or_default();
                    if !self.list_has("Item", &item) && !self.list_has("ItemSalesTax", &item) {
                        return Some(Self::error(
                            rs,
                            request_id,
                            3140,
                            &format!("There is an invalid reference to QuickBooks Item \"{item}\" in the {kind} line."),
                        ));
                    }
                    let amount = match (text_of(line, "Amount"), text_of(line, "Quantity"), text_of(line, "Rate")) {
                        (Some(amount), _, _) => cents(&amount),
                        (None, Some(q), Some(r)) => times(&q, &r),
                        _ => 0,
                    };
                    lines.push((item, amount, ref_name(line, "SalesTaxCodeRef")));
                }
                let txn_id = self.new_txn_id();
                let ref_number = text_of(add, "RefNumber").unwrap_or_else(|| {
                    self.next_ref += 1;
                    (self.next_ref - 1).to_string()
                });
                if let Some(name) = add.attribute("defMacro") {
                    macros.insert(name.to_owned(), txn_id.clone());
                }
                // US sales tax as QuickBooks computes it: the header's tax item's rate on the
                // lines coded taxable, rounded half up to the cent.
                let item_sales_tax = ref_name(add, "ItemSalesTaxRef");
                let taxable: i64 = lines
                    .iter()
                    .filter(|(_, _, code)| code.as_deref() == Some("Tax"))
                    .map(|(_, amount, _)| amount)
                    .sum();
                let rate = item_sales_tax.as_deref().map_or(0, |name| self.tax_rate_of(name));
                // Canada and the UK: each line's tax code carries its own rate.
                let by_code: i64 = lines
                    .iter()
                    .filter_map(|(_, amount, code)| code.as_deref().map(|c| amount * self.tax_rate_of(c)))
                    .sum();
                let tax = (taxable * rate * 2 + 100_000) / 200_000 + (by_code * 2 + 100_000) / 200_000;
                let total: i64 = lines.iter().map(|(_, amount, _)| amount).sum::<i64>() + tax;
                // Invoices and sales receipts take stock out; orders and estimates do not.
                if kind == "Invoice" || kind == "SalesReceipt" {
                    for line in add.children().filter(|c| c.tag_name().name() == format!("{kind}LineAdd")) {
                        let (Some(item), Some(quantity)) = (ref_name(line, "ItemRef"), text_of(line, "Quantity"))
                        else {
                            continue;
                        };
                        if let Some(record) = self.lists.get_mut("Item").and_then(|items| {
                            items.iter_mut().find(|i| i.full_name == item && i.quantity_on_hand.is_some())
                        }) {
                            let on_hand: i64 =
                                record.quantity_on_hand.as_deref().and_then(|q| q.parse().ok()).unwrap_or(0);
                            record.quantity_on_hand =
                                Some((on_hand - quantity.parse::<i64>().unwrap_or(0)).to_string());
                            record.modified = chrono::Utc::now();
                        }
                    }
                }
                let transaction = Transaction {
                    kind: kind.clone(),
                    txn_id: txn_id.clone(),
                    ref_number: ref_number.clone(),
                    customer,
                    txn_date: text_of(add, "TxnDate").unwrap_or_default(),
                    memo: text_of(add, "Memo").unwrap_or_default(),
                    other: text_of(add, "Other").unwrap_or_default(),
                    class: ref_name(add, "ClassRef"),
                    item_sales_tax,
                    lines,
                    total_cents: total,
                    credit_remaining_cents: if kind == "CreditMemo" { total } else { 0 },
                    voided: false,
                    modified: chrono::Utc::now(),
                };
                self.transactions.push(transaction);
                ok(format!(
                    "<{kind}Ret><TxnID>{txn_id}</TxnID><EditSequence>1</EditSequence><RefNumber>{}</RefNumber><TotalAmount>{}</TotalAmount></{kind}Ret>",
                    escape(&ref_number),
                    money(total)
                ))
            }
            "TxnDelRq" => {
                let txn_id = text_of(rq, "TxnID").unwrap_or_default();
                let del_type = text_of(rq, "TxnDelType").unwrap_or_default();
                let before = self.transactions.len() + self.payments.len();
                if del_type == "ReceivePayment" {
                    self.payments.retain(|p| p.txn_id != txn_id);
                } else {
                    if self.payments.iter().any(|p| p.applied_to == txn_id) {
                        return Some(Self::error(rs, request_id, 3170, "The transaction has payments applied to it."));
                    }
                    self.transactions.retain(|t| !(t.txn_id == txn_id && t.kind == del_type));
                }
                if self.transactions.len() + self.payments.len() == before {
                    return Some(Self::error(rs, request_id, 3120, "Object specified in the request cannot be found."));
                }
                ok(format!("<TxnDelType>{del_type}</TxnDelType><TxnID>{txn_id}</TxnID>"))
            }
            "TxnVoidRq" => {
                let txn_id = text_of(rq, "TxnID").unwrap_or_default();
                let void_type = text_of(rq, "TxnVoidType").unwrap_or_default();
                if self.payments.iter().any(|p| p.applied_to == txn_id) {
                    return Some(Self::error(rs, request_id, 3170, "The transaction has payments applied to it."));
                }
                let Some(txn) = self.transactions.iter_mut().find(|t| t.txn_id == txn_id && t.kind == void_type) else {
                    return Some(Self::error(rs, request_id, 3120, "Object specified in the request cannot be found."));
                };
                txn.voided = true;
                txn.total_cents = 0;
                for line in &mut txn.lines {
                    line.1 = 0;
                }
                txn.memo = format!("VOID: {}", txn.memo);
                txn.modified = chrono::Utc::now();
                ok(format!("<TxnVoidType>{void_type}</TxnVoidType><TxnID>{txn_id}</TxnID>"))
            }
            "ReceivePaymentAddRq" => {
                let add = child(rq, "ReceivePaymentAdd")?;
                let amount = cents(&text_of(add, "TotalAmount").unwrap_or_default());
                let applied_to = child(add, "AppliedToTxnAdd")?;
                let target = match Self::txn_id_of(child(applied_to, "TxnID")?, macros) {
                    Ok(id) => id,
                    Err(name) => {
                        let message = format!("The macro \"{name}\" is not defined in this message set.");
                        return Some(Self::error(rs, request_id, 3000, &message));
                    }
                };
                let Some(invoice) = self.transactions.iter().find(|t| t.txn_id == target) else {
                    return Some(Self::error(rs, request_id, 3120, "Object specified in the request cannot be found."));
                };
                let invoice_total = invoice.total_cents;
                // A credit memo applied to the invoice pays it as money does.
                let credit = match child(applied_to, "SetCredit") {
                    Some(set) => {
                        let credit_id = match Self::txn_id_of(child(set, "CreditTxnID")?, macros) {
                            Ok(id) => id,
                            Err(name) => {
                                let message = format!("The macro \"{name}\" is not defined in this message set.");
                                return Some(Self::error(rs, request_id, 3000, &message));
                            }
                        };
                        let applied = cents(&text_of(set, "AppliedAmount").unwrap_or_default());
                        match self.transactions.iter().find(|t| t.txn_id == credit_id && t.kind == "CreditMemo") {
                            None => {
                                return Some(Self::error(
                                    rs,
                                    request_id,
                                    3120,
                                    "Object specified in the request cannot be found.",
                                ));
                            }
                            Some(memo) if memo.credit_remaining_cents < applied => {
                                return Some(Self::error(
                                    rs,
                                    request_id,
                                    3260,
                                    "The credit applied is more than the credit available.",
                                ));
                            }
                            Some(_) => Some((credit_id, applied)),
                        }
                    }
                    None => None,
                };
                let paying = amount + credit.as_ref().map_or(0, |(_, applied)| *applied);
                let paid: i64 = self.payments.iter().filter(|p| p.applied_to == target).map(|p| p.amount_cents).sum();
                if paying > invoice_total - paid {
                    return Some(Self::error(rs, request_id, 3210, "You cannot pay more than the amount due."));
                }
                if let Some((credit_id, applied)) = &credit
                    && let Some(memo) = self.transactions.iter_mut().find(|t| t.txn_id == *credit_id)
                {
                    memo.credit_remaining_cents -= applied;
                }
                let txn_id = self.new_txn_id();
                self.payments.push(ReceivedPayment {
                    txn_id: txn_id.clone(),
                    applied_to: target,
                    amount_cents: paying,
                    credit_from: credit.map(|(id, _)| id),
                });
                ok(format!(
                    "<ReceivePaymentRet><TxnID>{txn_id}</TxnID><EditSequence>1</EditSequence><TotalAmount>{}</TotalAmount></ReceivePaymentRet>",
                    money(amount)
                ))
            }
            "ARRefundCreditCardAddRq" => {
                let add = child(rq, "ARRefundCreditCardAdd")?;
                let customer = ref_name(add, "CustomerRef").unwrap_or_default();
                if let Some(account) = ref_name(add, "RefundFromAccountRef")
                    && !self.list_has("Account", &account)
                {
                    let message = format!(
                        "There is an invalid reference to QuickBooks Account \"{account}\" in the ARRefundCreditCard."
                    );
                    return Some(Self::error(rs, request_id, 3140, &message));
                }
                let applied = child(add, "RefundAppliedToTxnAdd")?;
                let credit_id = match Self::txn_id_of(child(applied, "TxnID")?, macros) {
                    Ok(id) => id,
                    Err(name) => {
                        let message = format!("The macro \"{name}\" is not defined in this message set.");
                        return Some(Self::error(rs, request_id, 3000, &message));
                    }
                };
                let amount = cents(&text_of(applied, "RefundAmount").unwrap_or_default());
                let Some(memo) = self.transactions.iter_mut().find(|t| t.txn_id == credit_id && t.kind == "CreditMemo")
                else {
                    return Some(Self::error(rs, request_id, 3120, "Object specified in the request cannot be found."));
                };
                if !memo.customer.eq_ignore_ascii_case(&customer) {
                    return Some(Self::error(rs, request_id, 3180, "The credit memo belongs to another customer."));
                }
                if memo.credit_remaining_cents < amount {
                    return Some(Self::error(rs, request_id, 3260, "The refund is more than the credit available."));
                }
                memo.credit_remaining_cents -= amount;
                let txn_id = self.new_txn_id();
                self.credit_refunds.push(ReceivedPayment {
                    txn_id: txn_id.clone(),
                    applied_to: credit_id,
                    amount_cents: amount,
                    credit_from: None,
                });
                ok(format!(
                    "<ARRefundCreditCardRet><TxnID>{txn_id}</TxnID><EditSequence>1</EditSequence><TotalAmount>{}</TotalAmount></ARRefundCreditCardRet>",
                    money(amount)
                ))
            }
            _ => return None,
        })
    }
}
