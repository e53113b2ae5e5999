//! Every request Ledgerbridge writes, validated against Intuit's qbXML schemas (13.0 and
//! 16.0) with xmllint, as QuickBooks would parse it. A wrong element order fails here.

use std::path::PathBuf;
use std::process::Command;

use chrono::NaiveDate;
use ledgerbridge::domain::Money;
use ledgerbridge::qbxml::lists::{LISTS_READ, Page, item_count_query, list_query};
use ledgerbridge::qbxml::transactions::*;
use ledgerbridge::qbxml::{OnError, QbxmlVersion, RequestDocument};
use rust_decimal::Decimal;

fn schema(version: QbxmlVersion) -> PathBuf {
    let folder = if version.major >= 16 { "qbxml16/qbxmlops160.xsd" } else { "qbxml13/qbxmlops130.xsd" };
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/qb/schema").join(folder)
}

/// xmllint's verdict on a document: Ok, or its complaint.
fn xmllint(version: QbxmlVersion, document: &str) -> Result<(), String> {
    let schema = schema(version);
    assert!(schema.is_file(), "Intuit's schemas belong beside the project at {}", schema.display());
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), document).unwrap();
    let output = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&schema)
        .arg(file.path())
        .output()
        .expect("xmllint runs (Debian package libxml2-utils)");
    if output.status.success() { Ok(()) } else { Err(String::from_utf8_lossy(&output.stderr).into_owned()) }
}

fn document(version: QbxmlVersion, requests: &[String]) -> String {
    let mut doc = RequestDocument::new(version, OnError::StopOnError);
    for request in requests {
        doc.push(request);
    }
    doc.finish()
}

const VERSIONS: [QbxmlVersion; 2] = [QbxmlVersion::BASELINE, QbxmlVersion::NEWEST];

fn address() -> QbAddress {
    QbAddress {
        lines: vec!["Ann Smith".into(), "Acme & Sons Ltd".into(), "12 Long Street, Apartment 4".into()],
        city: "New York".into(),
        state: "NY".into(),
        postal_code: "10001".into(),
        country: "US".into(),
    }
}

fn header() -> TxnHeader {
    TxnHeader {
        customer: "Smith, Ann, ann@example.com".into(),
        class: Some("Web".into()),
        ar_account: Some("Accounts Receivable".into()),
        txn_date: NaiveDate::from_ymd_opt(2026, 11, 26),
        ref_number: Some("WEB-1001".into()),
        bill_address: Some(address()),
        ship_address: Some(address()),
        payment_method: Some("Visa".into()),
        po_number: Some("#1001".into()),
        terms: Some("Net 30".into()),
        ship_method: Some("UPS".into()),
        item_sales_tax: Some("NYC Combined".into()),
        memo: Some("Shopify order #1001 <gift>".into()),
        deposit_account: Some("Undeposited Funds".into()),
        other: Some("#1001".into()),
        external_guid: Some("{3F2504E0-4F89-11D3-9A0C-0305E82C3301}".into()),
        link_to_txn_id: None,
    }
}

fn lines() -> Vec<TxnLine> {
    vec![
        TxnLine {
            item: "Tools:Hammer".into(),
            description: Some("Claw hammer, 16 oz".into()),
            quantity: Some(Decimal::new(2, 0)),
            rate: Some(Decimal::new(1999, 2)),
            class: Some("Web".into()),
            amount: None,
            sales_tax_code: Some("Tax".into()),
        },
        TxnLine {
            item: "Shipping".into(),
            amount: Some(Money::from_cents(595)),
            sales_tax_code: Some("Non".into()),
            ..TxnLine::default()
        },
        TxnLine {
            item: "Discount".into(),
            description: Some("Code WELCOME10".into()),
            amount: Some(Money::from_cents(-400)),
            ..TxnLine::default()
        },
    ]
}

#[test]
fn every_sales_transaction_validates() {
    for version in VERSIONS {
        for kind in
            [TxnKind::Invoice, TxnKind::SalesReceipt, TxnKind::SalesOrder, TxnKind::Estimate, TxnKind::CreditMemo]
        {
            let doc = document(version, &[transaction_add(kind, "order-1", &header(), &lines(), None)]);
            xmllint(version, &doc).unwrap_or_else(|e| panic!("{kind:?} at {version}: {e}\n{doc}"));
        }
    }
}

#[test]
fn an_invoice_from_a_sales_order_with_its_payment_validates() {
    let mut invoice = header();
    invoice.link_to_txn_id = Some("1EB-1241602355".into());
    let payment = Payment {
        customer: "Smith, Ann, ann@example.com",
        ar_account: Some("Accounts Receivable"),
        txn_date: NaiveDate::from_ymd_opt(2026, 11, 26),
        ref_number: Some("WEB-1001"),
        amount: Money::from_cents(4193),
        payment_method: Some("Visa"),
        memo: Some("Paid at checkout"),
        deposit_account: Some("Undeposited Funds"),
        invoice: TxnRef::Macro("TxnID:order-1"),
    };
    for version in VERSIONS {
        let doc = document(
            version,
            &[
                transaction_add(TxnKind::Invoice, "order-1", &invoice, &lines(), Some("TxnID:order-1")),
                receive_payment_add("payment-1", &payment),
            ],
        );
        xmllint(version, &doc).unwrap_or_else(|e| panic!("{version}: {e}\n{doc}"));
    }
}

#[test]
fn a_refund_as_a_credit_memo_with_its_money_back_or_applied_validates() {
    let date = NaiveDate::from_ymd_opt(2026, 11, 27);
    let refund = CreditRefund {
        customer: "Smith, Ann, ann@example.com",
        refund_from_account: Some("Undeposited Funds"),
        ar_account: Some("Accounts Receivable"),
        txn_date: date,
        ref_number: Some("WEB-1001R1"),
        payment_method: Some("Visa"),
        memo: Some("Refund of order #1001"),
        credit_memo: TxnRef::Macro("TxnID:refund"),
        amount: Money::from_cents(2159),
    };
    let applied = CreditApplication {
        customer: "Smith, Ann, ann@example.com",
        ar_account: Some("Accounts Receivable"),
        txn_date: date,
        memo: Some("Refund of order #1001"),
        invoice_txn_id: "1EB-1241602355",
        credit_memo: TxnRef::TxnId("1F0-1241602355"),
        amount: Money::from_cents(2159),
    };
    for version in VERSIONS {
        let doc = document(
            version,
            &[
                transaction_query_by_id("Invoice", "original", "1EB-1241602355"),
                transaction_query_by_ref(TxnKind::CreditMemo, "duplicate", "WEB-1001R1"),
                transaction_query_by_date(TxnKind::CreditMemo, "duplicate-2", date.unwrap()),
                transaction_add(TxnKind::CreditMemo, "credit-memo", &header(), &lines(), Some("TxnID:refund")),
                ar_refund_credit_card_add("money", &refund),
                credit_apply("apply", &applied),
            ],
        );
        xmllint(version, &doc).unwrap_or_else(|e| panic!("{version}: {e}\n{doc}"));
    }
}

#[test]
fn customers_lookups_and_list_reads_validate() {
    let customer = NewCustomer {
        name: "Smith, Ann, ann@example.com".into(),
        company_name: Some("Acme & Sons Ltd".into()),
        first_name: Some("Ann".into()),
        last_name: Some("Smith".into()),
        bill_address: Some(address()),
        ship_address: Some(address()),
        phone: Some("+1 212 555 0100".into()),
        email: Some("ann@example.com".into()),
    };
    let mut requests = vec![
        customer_query("c-q", "Smith, Ann, ann@example.com"),
        customer_add("c-a", &customer),
        transaction_query_by_ref(TxnKind::Invoice, "dup-1", "WEB-1001"),
        transaction_query_by_ref(TxnKind::SalesReceipt, "dup-2", "WEB-1001"),
        transaction_query_by_date(TxnKind::SalesOrder, "dup-3", NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()),
        transaction_query_by_date(TxnKind::Estimate, "dup-4", NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()),
        item_count_query(),
        transaction_delete("undo-payment", "ReceivePayment", "1EC-1241602355"),
        transaction_delete("undo", "Invoice", "1EB-1241602355"),
        transaction_void("void", "SalesReceipt", "1EB-1241602355"),
    ];
    requests.extend(LISTS_READ.iter().map(|kind| list_query(*kind, Page::Whole)));
    for version in VERSIONS {
        let doc = document(version, &requests);
        xmllint(version, &doc).unwrap_or_else(|e| panic!("{version}: {e}\n{doc}"));
        let pages = document(version, &[list_query(LISTS_READ[8], Page::Start)]);
        xmllint(version, &pages).unwrap();
        let next = document(
            version,
            &[list_query(LISTS_READ[8], Page::Continue { iterator_id: "{eb05f701-e727-472f-8ade-6753c4f67a46}" })],
        );
        xmllint(version, &next).unwrap();
        let since = chrono::DateTime::parse_from_rfc3339("2026-11-26T10:00:00Z").unwrap().with_timezone(&chrono::Utc);
        let inventory = document(version, &[ledgerbridge::qbxml::lists::inventory_query(Page::Start, Some(since))]);
        xmllint(version, &inventory).unwrap_or_else(|e| panic!("{version}: {e}\n{inventory}"));
        let next_inventory = document(
            version,
            &[ledgerbridge::qbxml::lists::inventory_query(Page::Continue { iterator_id: "{x-1}" }, None)],
        );
        xmllint(version, &next_inventory).unwrap();
        for kind in ledgerbridge::qbxml::sales::SALES_READ {
            let sales =
                document(version, &[ledgerbridge::qbxml::sales::modified_sales_query(kind, Page::Start, Some(since))]);
            xmllint(version, &sales).unwrap_or_else(|e| panic!("{kind} at {version}: {e}\n{sales}"));
        }
    }
}

#[test]
fn the_schema_check_itself_catches_a_wrong_element_order() {
    let doc = document(QbxmlVersion::BASELINE, &[transaction_add(TxnKind::Invoice, "x", &header(), &lines(), None)]);
    let swapped = doc.replacen("<TxnDate>2026-11-26</TxnDate>", "", 1).replacen(
        "</CustomerRef>",
        "</CustomerRef><RefNumber>X</RefNumber><TxnDate>2026-11-26</TxnDate>",
        1,
    );
    assert!(xmllint(QbxmlVersion::BASELINE, &swapped).is_err(), "xmllint must refuse RefNumber before TxnDate");
}

#[test]
fn a_mapped_store_order_validates_as_every_transaction_type() {
    use ledgerbridge::orders::{MappingContext, Order, map_order};
    use ledgerbridge::wizard::*;
    let order: Order = serde_json::from_value(serde_json::json!({
        "externalId": "450789469", "number": "#1001", "placedAt": "2026-11-26T15:04:05Z", "currency": "USD",
        "email": "ann@example.com",
        "billing": { "firstName": "Ann", "lastName": "Smith", "company": "Acme & Sons", "address1": "12 Long Street", "city": "New York", "provinceCode": "NY", "zip": "10001", "countryCode": "US" },
        "shipping": { "firstName": "Ann", "lastName": "Smith", "address1": "12 Long Street", "city": "New York", "provinceCode": "NY", "zip": "10001", "countryCode": "US" },
        "lines": [{ "sku": "Hammer", "title": "Claw hammer", "quantity": "2", "unitPrice": "19.99", "discount": "1.00" }],
        "discounts": [{ "code": "WELCOME", "amount": "4.00" }],
        "shippingLines": [{ "title": "UPS Ground", "price": "5.95" }],
        "taxLines": [{ "title": "NY", "rate": "0.04", "amount": "1.60" }],
        "paymentGateway": "Visa", "financialStatus": "paid", "total": "42.53"
    }))
    .expect("a canonical order");
    let items = Vec::new();
    for transaction_type in [
        TransactionType::Invoice,
        TransactionType::InvoiceWithPayment,
        TransactionType::SalesReceipt,
        TransactionType::SalesOrder,
        TransactionType::SalesOrderWithInvoice,
        TransactionType::Estimate,
    ] {
        let settings = Settings {
            orders: Some(OrderSettings {
                transaction_type,
                class_name: Some("Web".into()),
                use_store_name_as_class: false,
                terms_name: Some("Net 30".into()),
                numbering: OrderNumbering::StoreOrderNumber,
                order_number_prefix: Some("WEB-".into()),
                status_filter: vec![],
                when_changed_after_sync: ChangedAfterSync::Repost,
                when_cancelled_after_sync: CancelledAfterSync::Void,
            }),
            customers: Some(CustomerSettings {
                matching: CustomerMatching::LastFirstEmail,
                single_customer_name: None,
                when_no_match: NoCustomerMatch::CreateCustomer,
            }),
            accounts: Some(AccountSettings {
                income_account: "Sales".into(),
                asset_account: None,
                cogs_account: None,
                receivable_account: "Accounts Receivable".into(),
                discount_account: None,
                deposit_account: "Undeposited Funds".into(),
            }),
            sales_tax: Some(SalesTaxSettings {
                mode: SalesTaxMode::LineItem,
                tax_item: Some("NY State Tax".into()),
                taxable_code: None,
                non_taxable_code: None,
            }),
            products: Some(ProductSettings {
                match_by: ProductMatching::ItemName,
                custom_field_name: None,
                when_no_match: NoProductMatch::CreateNonInventoryItem,
            }),
            ..Settings::default()
        };
        let context = MappingContext {
            settings: &settings,
            store_name: "My Shop",
            country: Some("US"),
            items: &items,
            payment_methods: &[],
            tax_mappings: &[],
            sku_mappings: &std::collections::HashMap::new(),
            order_id: uuid::Uuid::nil(),
        };
        let mapped = map_order(&order, &context);
        assert!(mapped.problems.is_empty(), "{transaction_type:?}: {:?}", mapped.problems);
        let mut requests = vec![customer_add("customer", mapped.customer.new_customer.as_ref().unwrap())];
        requests.push(transaction_add(mapped.kind, "order", &mapped.header, &mapped.lines, Some("TxnID:order")));
        if let Some((amount, method)) = &mapped.payment {
            requests.push(receive_payment_add(
                "payment",
                &Payment {
                    customer: &mapped.customer.name,
                    ar_account: mapped.header.ar_account.as_deref(),
                    txn_date: mapped.header.txn_date,
                    ref_number: mapped.header.ref_number.as_deref(),
                    amount: *amount,
                    payment_method: method.as_deref(),
                    memo: None,
                    deposit_account: mapped.header.deposit_account.as_deref(),
                    invoice: TxnRef::Macro("TxnID:order"),
                },
            ));
        }
        for version in VERSIONS {
            let doc = document(version, &requests);
            xmllint(version, &doc).unwrap_or_else(|e| panic!("{transaction_type:?} at {version}: {e}\n{doc}"));
        }
    }
}

#[test]
fn every_kind_of_item_ledgerbridge_creates_validates() {
    use ledgerbridge::qbxml::items::{NewItem, item_add};
    let tax = Some("Tax".to_owned());
    let items = [
        NewItem::NonInventory {
            name: "GIFT-WRAP".into(),
            description: "Gift wrap & ribbon".into(),
            price: Decimal::new(500, 2),
            income_account: "Sales:Web Sales".into(),
            sales_tax_code: tax.clone(),
        },
        NewItem::Inventory {
            name: "HAMMER-16".into(),
            description: "Claw hammer".into(),
            price: Decimal::new(1999, 2),
            income_account: "Sales".into(),
            cogs_account: "Cost of Goods Sold".into(),
            asset_account: "Inventory Asset".into(),
            sales_tax_code: tax.clone(),
        },
        NewItem::OtherCharge {
            name: "Shipping".into(),
            description: "Shipping and handling".into(),
            income_account: "Sales".into(),
            sales_tax_code: Some("Non".into()),
        },
        NewItem::Discount {
            name: "Discount".into(),
            description: "Web store discounts".into(),
            account: "Discounts Given".into(),
            sales_tax_code: tax,
        },
    ];
    let requests: Vec<String> =
        items.iter().enumerate().map(|(i, item)| item_add(&format!("item-{i}"), item)).collect();
    for version in VERSIONS {
        let doc = document(version, &requests);
        xmllint(version, &doc).unwrap_or_else(|e| panic!("{version}: {e}\n{doc}"));
    }
}
