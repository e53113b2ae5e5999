//! qbXML speed, as ratios measured in one run (never as timed tests): reading QuickBooks'
//! answers and writing requests, each against a raw quick-xml scan of the same bytes — the
//! fastest anything can touch every byte. Run with `cargo bench -p ledgerbridge --bench qbxml`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use ledgerbridge::domain::Money;
use ledgerbridge::qbxml::transactions::{QbAddress, TxnHeader, TxnKind, TxnLine, transaction_add};
use ledgerbridge::qbxml::{OnError, QbxmlResponse, QbxmlVersion, RequestDocument};
use ledgerbridge::web_connector::soap::{WcReply, render};
use quick_xml::Reader;
use quick_xml::events::Event;
use rust_decimal::Decimal;

/// The fastest time of `ours` and of `limit`, run in turns over about a second: both meet
/// the same machine, and the fastest run is the one least disturbed by anything else on it.
fn compare(mut ours: impl FnMut(), mut limit: impl FnMut()) -> (Duration, Duration) {
    let start = Instant::now();
    ours();
    limit();
    let once = start.elapsed().max(Duration::from_nanos(1));
    let runs = (Duration::from_secs(1).as_nanos() / once.as_nanos()).clamp(10, 20_000) as usize;
    let (mut best_ours, mut best_limit) = (Duration::MAX, Duration::MAX);
    for _ in 0..runs {
        let start = Instant::now();
        ours();
        best_ours = best_ours.min(start.elapsed());
        let start = Instant::now();
        limit();
        best_limit = best_limit.min(start.elapsed());
    }
    (best_ours, best_limit)
}

/// Every event of the document, touched and dropped: the floor for any reader.
fn raw_scan(xml: &str) -> usize {
    let mut reader = Reader::from_str(xml);
    let mut events = 0;
    loop {
        match reader.read_event() {
            Ok(Event::Eof) | Err(_) => return events,
            Ok(event) => {
                black_box(&event);
                events += 1;
            }
        }
    }
}

fn customer_query_rs(records: usize) -> String {
    let rets: String = (0..records)
        .map(|i| {
            format!(
                "<CustomerRet><ListID>{:X}-1232697602</ListID><TimeCreated>2009-01-23T03:00:02-05:00</TimeCreated>\
<TimeModified>2009-01-23T03:00:02-05:00</TimeModified><EditSequence>1232697602</EditSequence><Name>Customer {i} &amp; Sons</Name>\
<FullName>Customer {i} &amp; Sons</FullName><IsActive>true</IsActive><Sublevel>0</Sublevel><BillAddress><Addr1>{i} Long Street</Addr1>\
<City>New York</City><State>NY</State><PostalCode>10001</PostalCode></BillAddress><Balance>0.00</Balance><TotalBalance>0.00</TotalBalance>\
<SalesTaxCodeRef><ListID>10000-1232327562</ListID><FullName>Tax</FullName></SalesTaxCodeRef><JobStatus>None</JobStatus></CustomerRet>",
                0x8000_0000u32 + i as u32
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" ?><QBXML><QBXMLMsgsRs><CustomerQueryRs requestID=\"1\" statusCode=\"0\" statusSeverity=\"Info\" statusMessage=\"Status OK\">{rets}</CustomerQueryRs></QBXMLMsgsRs></QBXML>"
    )
}

/// What the sync reads from a customer answer.
struct Customer {
    list_id: String,
    full_name: String,
}

fn typed_parse(xml: &str) -> Vec<Customer> {
    let answer = QbxmlResponse::parse(xml).expect("a valid answer");
    answer.responses[0]
        .rets()
        .filter_map(|ret| {
            Some(Customer {
                list_id: ret.child_text("ListID")?.to_owned(),
                full_name: ret.child_text("FullName")?.to_owned(),
            })
        })
        .collect()
}

fn invoices(count: usize) -> String {
    let address = QbAddress {
        lines: vec!["Ann Smith".into(), "Acme & Sons".into(), "12 Long Street".into()],
        city: "New York".into(),
        state: "NY".into(),
        postal_code: "10001".into(),
        country: "US".into(),
    };
    let mut document = RequestDocument::new(QbxmlVersion::BASELINE, OnError::ContinueOnError);
    for i in 0..count {
        let header = TxnHeader {
            customer: format!("Smith, Ann {i}"),
            class: Some("Web".into()),
            ar_account: Some("Accounts Receivable".into()),
            txn_date: NaiveDate::from_ymd_opt(2026, 11, 26),
            ref_number: Some(format!("WEB-{i}")),
            bill_address: Some(address.clone()),
            ship_address: Some(address.clone()),
            memo: Some(format!("My Shop order #{i} <gift>")),
            other: Some(format!("#{i}")),
            ..TxnHeader::default()
        };
        let lines = vec![
            TxnLine {
                item: "Tools:Hammer".into(),
                description: Some("Claw hammer".into()),
                quantity: Some(Decimal::new(2, 0)),
                rate: Some(Decimal::new(1999, 2)),
                sales_tax_code: Some("Tax".into()),
                ..TxnLine::default()
            },
            TxnLine { item: "Shipping".into(), amount: Some(Money::from_cents(595)), ..TxnLine::default() },
        ];
        document.push(&transaction_add(TxnKind::Invoice, &format!("order-{i}"), &header, &lines, None));
    }
    render(&WcReply::Text { method: "sendRequestXML", value: document.finish() })
}

fn main() {
    println!("| measure | ours | raw quick-xml scan of the same bytes | speed ratio (scan time / ours) | target |");
    println!("|---|---|---|---|---|");
    let mut failed = false;
    for records in [1, 100, 1_000] {
        let xml = customer_query_rs(records);
        assert_eq!(typed_parse(&xml).len(), records);
        assert!(typed_parse(&xml).iter().all(|c| !c.list_id.is_empty() && c.full_name.contains('&')));
        let (ours, scan) = compare(
            || {
                black_box(typed_parse(black_box(&xml)));
            },
            || {
                black_box(raw_scan(black_box(&xml)));
            },
        );
        let ratio = scan.as_secs_f64() / ours.as_secs_f64();
        failed |= records >= 100 && ratio < 0.5;
        println!("| typed parse, {records}-record CustomerQueryRs | {ours:?} | {scan:?} | {ratio:.2}× | ≥ 0.5× |");
    }
    for count in [1, 50] {
        let envelope = invoices(count);
        let (ours, scan) = compare(
            || {
                black_box(invoices(black_box(count)));
            },
            || {
                black_box(raw_scan(black_box(&envelope)));
            },
        );
        let ratio = scan.as_secs_f64() / ours.as_secs_f64();
        failed |= count == 50 && ratio < 0.5;
        println!(
            "| {count} InvoiceAdd written and escaped into the SOAP envelope ({} bytes) | {ours:?} | {scan:?} | {ratio:.2}× | ≥ 0.5× |",
            envelope.len()
        );
    }
    if failed {
        println!("\nA target was missed.");
        std::process::exit(1);
    }
}
