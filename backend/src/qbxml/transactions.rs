//! Writing the requests that put an order into QuickBooks: customers, the five sales
//! transactions, payments, and the look-ups that keep a retry from adding anything twice.
//! Element order follows Intuit's schema exactly; lengths are cut to QuickBooks' limits.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::request::{element, text_element};
use crate::domain::Money;

/// The sales transactions an order can become.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxnKind {
    Invoice,
    SalesReceipt,
    SalesOrder,
    Estimate,
    CreditMemo,
}

impl TxnKind {
    pub fn name(self) -> &'static str {
        match self {
            TxnKind::Invoice => "Invoice",
            TxnKind::SalesReceipt => "SalesReceipt",
            TxnKind::SalesOrder => "SalesOrder",
            TxnKind::Estimate => "Estimate",
            TxnKind::CreditMemo => "CreditMemo",
        }
    }
}

/// A postal address as QuickBooks holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QbAddress {
    /// Up to five lines (name, company, street…), 41 characters each.
    pub lines: Vec<String>,
    pub city: String,
    pub state: String,
    pub postal_code: String,
    pub country: String,
}

/// Cuts text to QuickBooks' limit for a field, in characters, after transliterating what
/// Latin-1 cannot hold: QuickBooks stores ISO-8859-1.
pub fn fit(text: &str, max: usize) -> String {
    crate::domain::to_latin1(text.trim()).chars().take(max).collect::<String>().trim_end().to_owned()
}

fn opt_text(name: &str, value: Option<&str>, max: usize) -> String {
    value.map(|v| fit(v, max)).filter(|v| !v.is_empty()).map(|v| text_element(name, &v)).unwrap_or_default()
}

fn full_name_ref(name: &str, full_name: Option<&str>, max: usize) -> String {
    match full_name.map(|f| fit(f, max)).filter(|f| !f.is_empty()) {
        Some(f) => element(name, &[], &text_element("FullName", &f)),
        None => String::new(),
    }
}

fn address(name: &str, address: Option<&QbAddress>) -> String {
    let Some(a) = address else { return String::new() };
    let mut body = String::new();
    for (index, line) in a.lines.iter().filter(|l| !l.trim().is_empty()).take(5).enumerate() {
        body.push_str(&text_element(&format!("Addr{}", index + 1), &fit(line, 41)));
    }
    body.push_str(&opt_text("City", Some(&a.city), 31));
    body.push_str(&opt_text("State", Some(&a.state), 21));
    body.push_str(&opt_text("PostalCode", Some(&a.postal_code), 13));
    body.push_str(&opt_text("Country", Some(&a.country), 31));
    if body.is_empty() { String::new() } else { element(name, &[], &body) }
}

/// A transaction's header fields; `None` fields are left out.
#[derive(Debug, Clone, Default)]
pub struct TxnHeader {
    pub customer: String,
    pub class: Option<String>,
    /// Invoices and credit memos.
    pub ar_account: Option<String>,
    pub txn_date: Option<NaiveDate>,
    pub ref_number: Option<String>,
    pub bill_address: Option<QbAddress>,
    pub ship_address: Option<QbAddress>,
    /// Sales receipts only.
    pub payment_method: Option<String>,
    pub po_number: Option<String>,
    /// Not on sales receipts.
    pub terms: Option<String>,
    /// Not on estimates.
    pub ship_method: Option<String>,
    /// US: the sales tax item or group for the ship-to place.
    pub item_sales_tax: Option<String>,
    pub memo: Option<String>,
    /// Sales receipts only.
    pub deposit_account: Option<String>,
    /// The template's "Other" column: Ledgerbridge writes the store's order number there.
    pub other: Option<String>,
    /// Ledgerbridge's id for the order, `{…}`, returned by QuickBooks on every read.
    pub external_guid: Option<String>,
    /// Invoices: the sales order this invoice bills.
    pub link_to_txn_id: Option<String>,
}

/// One line of a transaction.
#[derive(Debug, Clone, Default)]
pub struct TxnLine {
    pub item: String,
    pub description: Option<String>,
    pub quantity: Option<Decimal>,
    pub rate: Option<Decimal>,
    pub class: Option<String>,
    pub amount: Option<Money>,
    pub sales_tax_code: Option<String>,
}

fn line(kind: TxnKind, l: &TxnLine) -> String {
    let mut body = full_name_ref("ItemRef", Some(&l.item), 159);
    body.push_str(&opt_text("Desc", l.description.as_deref(), 4095));
    if let Some(quantity) = l.quantity {
        body.push_str(&text_element("Quantity", &quantity.normalize().to_string()));
    }
    if let Some(rate) = l.rate {
        body.push_str(&text_element("Rate", &rate.round_dp(5).normalize().to_string()));
    }
    body.push_str(&full_name_ref("ClassRef", l.class.as_deref(), 159));
    if let Some(amount) = l.amount {
        body.push_str(&text_element("Amount", &amount.to_string()));
    }
    body.push_str(&full_name_ref("SalesTaxCodeRef", l.sales_tax_code.as_deref(), 3));
    element(&format!("{}LineAdd", kind.name()), &[], &body)
}

/// The `…AddRq` for a transaction. `def_macro` names its new TxnID for later requests of the
/// same message set (a payment applied to this invoice).
pub fn transaction_add(
    kind: TxnKind,
    request_id: &str,
    header: &TxnHeader,
    lines: &[TxnLine],
    def_macro: Option<&str>,
) -> String {
    use TxnKind::*;
    let h = header;
    let mut body = full_name_ref("CustomerRef", Some(&h.customer), 209);
    body.push_str(&full_name_ref("ClassRef", h.class.as_deref(), 159));
    if matches!(kind, Invoice | CreditMemo) {
        body.push_str(&full_name_ref("ARAccountRef", h.ar_account.as_deref(), 159));
    }
    if let Some(date) = h.txn_date {
        body.push_str(&text_element("TxnDate", &date.format("%Y-%m-%d").to_string()));
    }
    body.push_str(&opt_text("RefNumber", h.ref_number.as_deref(), 11));
    body.push_str(&address("BillAddress", h.bill_address.as_ref()));
    body.push_str(&address("ShipAddress", h.ship_address.as_ref()));
    if kind == SalesReceipt {
        body.push_str(&full_name_ref("PaymentMethodRef", h.payment_method.as_deref(), 31));
    } else {
        body.push_str(&opt_text("PONumber", h.po_number.as_deref(), 25));
        body.push_str(&full_name_ref("TermsRef", h.terms.as_deref(), 31));
    }
    if kind != Estimate {
        body.push_str(&full_name_ref("ShipMethodRef", h.ship_method.as_deref(), 15));
    }
    body.push_str(&full_name_ref("ItemSalesTaxRef", h.item_sales_tax.as_deref(), 31));
    body.push_str(&opt_text("Memo", h.memo.as_deref(), 4095));
    if kind == SalesReceipt {
        body.push_str(&full_name_ref("DepositToAccountRef", h.deposit_account.as_deref(), 159));
    }
    body.push_str(&opt_text("Other", h.other.as_deref(), 29));
    body.push_str(&opt_text("ExternalGUID", h.external_guid.as_deref(), 38));
    if kind == Invoice {
        body.push_str(&opt_text("LinkToTxnID", h.link_to_txn_id.as_deref(), 36));
    }
    for l in lines {
        body.push_str(&line(kind, l));
    }
    let name = kind.name();
    let attributes: Vec<(&str, &str)> = def_macro.map(|m| vec![("defMacro", m)]).unwrap_or_default();
    element(&format!("{name}AddRq"), &[("requestID", request_id)], &element(&format!("{name}Add"), &attributes, &body))
}

/// A payment received against an invoice created earlier in the same message set.
pub struct Payment<'a> {
    pub customer: &'a str,
    pub ar_account: Option<&'a str>,
    pub txn_date: Option<NaiveDate>,
    pub ref_number: Option<&'a str>,
    pub amount: Money,
    pub payment_method: Option<&'a str>,
    pub memo: Option<&'a str>,
    pub deposit_account: Option<&'a str>,
    /// The invoice, by the macro its InvoiceAdd defined, or by TxnID.
    pub invoice: TxnRef<'a>,
}

/// A transaction written earlier: by the macro its Add defined in the same message set, or by TxnID.
pub enum TxnRef<'a> {
    Macro(&'a str),
    TxnId(&'a str),
}

pub fn receive_payment_add(request_id: &str, p: &Payment<'_>) -> String {
    let mut body = full_name_ref("CustomerRef", Some(p.customer), 209);
    body.push_str(&full_name_ref("ARAccountRef", p.ar_account, 159));
    if let Some(date) = p.txn_date {
        body.push_str(&text_element("TxnDate", &date.format("%Y-%m-%d").to_string()));
    }
    body.push_str(&opt_text("RefNumber", p.ref_number, 20));
    body.push_str(&text_element("TotalAmount", &p.amount.to_string()));
    body.push_str(&full_name_ref("PaymentMethodRef", p.payment_method, 31));
    body.push_str(&opt_text("Memo", p.memo, 4095));
    body.push_str(&full_name_ref("DepositToAccountRef", p.deposit_account, 159));
    let txn = p.invoice.element("TxnID");
    body.push_str(&element("AppliedToTxnAdd", &[], &(txn + &text_element("PaymentAmount", &p.amount.to_string()))));
    element("ReceivePaymentAddRq", &[("requestID", request_id)], &element("ReceivePaymentAdd", &[], &body))
}

impl TxnRef<'_> {
    fn element(&self, name: &str) -> String {
        match self {
            TxnRef::Macro(macro_name) => element(name, &[("useMacro", macro_name)], ""),
            TxnRef::TxnId(id) => text_element(name, id),
        }
    }
}

/// Money given back against a credit memo: the refund from the account the sale was deposited to.
pub struct CreditRefund<'a> {
    pub customer: &'a str,
    pub refund_from_account: Option<&'a str>,
    pub ar_account: Option<&'a str>,
    pub txn_date: Option<NaiveDate>,
    pub ref_number: Option<&'a str>,
    pub payment_method: Option<&'a str>,
    pub memo: Option<&'a str>,
    pub credit_memo: TxnRef<'a>,
    pub amount: Money,
}

pub fn ar_refund_credit_card_add(request_id: &str, r: &CreditRefund<'_>) -> String {
    let mut body = full_name_ref("CustomerRef", Some(r.customer), 209);
    body.push_str(&full_name_ref("RefundFromAccountRef", r.refund_from_account, 159));
    body.push_str(&full_name_ref("ARAccountRef", r.ar_account, 159));
    if let Some(date) = r.txn_date {
        body.push_str(&text_element("TxnDate", &date.format("%Y-%m-%d").to_string()));
    }
    body.push_str(&opt_text("RefNumber", r.ref_number, 11));
    body.push_str(&full_name_ref("PaymentMethodRef", r.payment_method, 31));
    body.push_str(&opt_text("Memo", r.memo, 4095));
    body.push_str(&element(
        "RefundAppliedToTxnAdd",
        &[],
        &(r.credit_memo.element("TxnID") + &text_element("RefundAmount", &r.amount.to_string())),
    ));
    element("ARRefundCreditCardAddRq", &[("requestID", request_id)], &element("ARRefundCreditCardAdd", &[], &body))
}

/// A credit memo applied to an unpaid invoice: a payment of nothing that sets the credit.
pub struct CreditApplication<'a> {
    pub customer: &'a str,
    pub ar_account: Option<&'a str>,
    pub txn_date: Option<NaiveDate>,
    pub memo: Option<&'a str>,
    pub invoice_txn_id: &'a str,
    pub credit_memo: TxnRef<'a>,
    pub amount: Money,
}

pub fn credit_apply(request_id: &str, c: &CreditApplication<'_>) -> String {
    let mut body = full_name_ref("CustomerRef", Some(c.customer), 209);
    body.push_str(&full_name_ref("ARAccountRef", c.ar_account, 159));
    if let Some(date) = c.txn_date {
        body.push_str(&text_element("TxnDate", &date.format("%Y-%m-%d").to_string()));
    }
    body.push_str(&text_element("TotalAmount", "0.00"));
    body.push_str(&opt_text("Memo", c.memo, 4095));
    let credit = element(
        "SetCredit",
        &[],
        &(c.credit_memo.element("CreditTxnID") + &text_element("AppliedAmount", &c.amount.to_string())),
    );
    body.push_str(&element(
        "AppliedToTxnAdd",
        &[],
        &(text_element("TxnID", c.invoice_txn_id) + &text_element("PaymentAmount", "0.00") + &credit),
    ));
    element("ReceivePaymentAddRq", &[("requestID", request_id)], &element("ReceivePaymentAdd", &[], &body))
}

/// Reads one transaction by TxnID: who it is for, and whether it is still there.
pub fn transaction_query_by_id(kind: &str, request_id: &str, txn_id: &str) -> String {
    let body = text_element("TxnID", txn_id)
        + &text_element("IncludeRetElement", "TxnID")
        + &text_element("IncludeRetElement", "RefNumber")
        + &text_element("IncludeRetElement", "CustomerRef");
    element(&format!("{kind}QueryRq"), &[("requestID", request_id)], &body)
}

/// A new customer.
#[derive(Debug, Clone, Default)]
pub struct NewCustomer {
    pub name: String,
    pub company_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub bill_address: Option<QbAddress>,
    pub ship_address: Option<QbAddress>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

pub fn customer_add(request_id: &str, c: &NewCustomer) -> String {
    let mut body = text_element("Name", &fit(&c.name, 41));
    body.push_str(&opt_text("CompanyName", c.company_name.as_deref(), 41));
    body.push_str(&opt_text("FirstName", c.first_name.as_deref(), 25));
    body.push_str(&opt_text("LastName", c.last_name.as_deref(), 25));
    body.push_str(&address("BillAddress", c.bill_address.as_ref()));
    body.push_str(&address("ShipAddress", c.ship_address.as_ref()));
    body.push_str(&opt_text("Phone", c.phone.as_deref(), 21));
    body.push_str(&opt_text("Email", c.email.as_deref(), 1023));
    element("CustomerAddRq", &[("requestID", request_id)], &element("CustomerAdd", &[], &body))
}

/// Looks a customer up by full name (answers 500/Warn when there is none).
pub fn customer_query(request_id: &str, full_name: &str) -> String {
    let body = text_element("FullName", &fit(full_name, 209))
        + &text_element("IncludeRetElement", "ListID")
        + &text_element("IncludeRetElement", "FullName")
        + &text_element("IncludeRetElement", "EditSequence");
    element("CustomerQueryRq", &[("requestID", request_id)], &body)
}

/// Deletes a transaction (`del_type` is its qbXML name: Invoice, SalesReceipt, ReceivePayment…).
pub fn transaction_delete(request_id: &str, del_type: &str, txn_id: &str) -> String {
    element(
        "TxnDelRq",
        &[("requestID", request_id)],
        &(text_element("TxnDelType", del_type) + &text_element("TxnID", txn_id)),
    )
}

/// Voids a transaction (`void_type`: Invoice, SalesReceipt, CreditMemo…): it stays in
/// QuickBooks with its number and zero amounts.
pub fn transaction_void(request_id: &str, void_type: &str, txn_id: &str) -> String {
    element(
        "TxnVoidRq",
        &[("requestID", request_id)],
        &(text_element("TxnVoidType", void_type) + &text_element("TxnID", txn_id)),
    )
}

const TXN_FIELDS: [&str; 6] = ["TxnID", "EditSequence", "RefNumber", "TxnDate", "Memo", "Other"];

/// What a credit memo look-up reads: also how much of its credit is left to give back.
const CREDIT_MEMO_FIELDS: [&str; 5] = ["TxnID", "RefNumber", "TxnDate", "Other", "CreditRemaining"];

fn fields_for(kind: TxnKind) -> &'static [&'static str] {
    if kind == TxnKind::CreditMemo { &CREDIT_MEMO_FIELDS } else { &TXN_FIELDS }
}

/// Finds a transaction of `kind` by RefNumber: the check before adding, so a retry links the
/// transaction QuickBooks already has instead of adding it again.
pub fn transaction_query_by_ref(kind: TxnKind, request_id: &str, ref_number: &str) -> String {
    let mut body = text_element("RefNumber", &fit(ref_number, 11));
    for field in fields_for(kind) {
        body.push_str(&text_element("IncludeRetElement", field));
    }
    element(&format!("{}QueryRq", kind.name()), &[("requestID", request_id)], &body)
}

/// Finds transactions of `kind` dated `date`, for orders numbered by QuickBooks: the store's
/// number is then in `Other` (and the memo), which the caller matches in the answer.
pub fn transaction_query_by_date(kind: TxnKind, request_id: &str, date: NaiveDate) -> String {
    let day = date.format("%Y-%m-%d").to_string();
    let mut body =
        element("TxnDateRangeFilter", &[], &(text_element("FromTxnDate", &day) + &text_element("ToTxnDate", &day)));
    for field in fields_for(kind) {
        body.push_str(&text_element("IncludeRetElement", field));
    }
    element(&format!("{}QueryRq", kind.name()), &[("requestID", request_id)], &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_cut_to_quickbooks_limits_and_latin1() {
        assert_eq!(fit("  Ann Smith  ", 41), "Ann Smith");
        assert_eq!(fit("Zoë 東京", 41), "Zoë Dong Jing");
        assert_eq!(fit("Zoë 東京", 6), "Zoë Do");
        assert_eq!(fit("0123456789ABC", 11), "0123456789A");
    }

    #[test]
    fn only_the_fields_a_transaction_type_has_are_written() {
        let header = TxnHeader {
            customer: "Smith, Ann".into(),
            ar_account: Some("Accounts Receivable".into()),
            payment_method: Some("Visa".into()),
            terms: Some("Net 30".into()),
            deposit_account: Some("Undeposited Funds".into()),
            ship_method: Some("UPS".into()),
            ..TxnHeader::default()
        };
        let receipt = transaction_add(TxnKind::SalesReceipt, "r", &header, &[], None);
        assert!(receipt.contains("PaymentMethodRef") && receipt.contains("DepositToAccountRef"));
        assert!(!receipt.contains("TermsRef") && !receipt.contains("ARAccountRef"));
        let estimate = transaction_add(TxnKind::Estimate, "e", &header, &[], None);
        assert!(!estimate.contains("ShipMethodRef") && estimate.contains("TermsRef"));
        let invoice = transaction_add(TxnKind::Invoice, "i", &header, &[], Some("TxnID:i"));
        assert!(invoice.contains("<InvoiceAdd defMacro=\"TxnID:i\">"));
        assert!(invoice.contains("ARAccountRef") && !invoice.contains("DepositToAccountRef"));
    }
}
