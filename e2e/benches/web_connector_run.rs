//! The Web Connector's view of a sync, against the release build of the server: how long the
//! server takes to answer each SOAP call while a batch of orders goes to QuickBooks, on SQLite
//! and on PostgreSQL (when `LEDGERBRIDGE_TEST_POSTGRES_URL` is set), and one 2,000-order run
//! with the QuickBooks stand-in taking 20 ms per request as a real company file does.
//! Figures are ratios to limits measured or fixed in the same run, never timed tests.
//! Run with `cargo bench -p e2e --bench web_connector_run`. In the suite
//! (`LEDGERBRIDGE_BENCH_SUITE` set, as `cargo xtask bench` does) the 2,000-order run is
//! measured on SQLite only, to keep the suite under five minutes.

use std::path::Path;
use std::time::Duration;

use e2e::merchant::{Merchant, PASSWORD, sample_order};
use e2e::quickbooks::Company;
use e2e::server::{PostgresDatabase, release_binary};
use e2e::web_connector::RunReport;
use serde_json::Value;

/// The Web Connector gives up on a call after about two minutes.
const WEB_CONNECTOR_LIMIT: Duration = Duration::from_secs(120);

fn start(binary: &Path, database_url: Option<&str>) -> Merchant {
    Merchant::pair_on(binary, database_url, &[]).0
}

/// `count` paid orders, each for a customer of its own (so each creates one in QuickBooks).
fn orders(from: usize, count: usize) -> Vec<Value> {
    (from..from + count)
        .map(|i| {
            let mut order = sample_order(&format!("bench-{i}"), &format!("#{}", 10_000 + i), "Hammer");
            order["billing"]["lastName"] = Value::from(format!("Buyer {i}"));
            order
        })
        .collect()
}

struct Figures {
    calls: usize,
    p99: Duration,
    slowest: Duration,
    server: Duration,
}

fn figures(report: &RunReport) -> Figures {
    let mut times: Vec<Duration> = report.calls.iter().map(|(_, t)| *t).collect();
    times.sort();
    let p99 = times.get((times.len() * 99).div_ceil(100).saturating_sub(1)).copied().unwrap_or_default();
    Figures { calls: times.len(), p99, slowest: times.last().copied().unwrap_or_default(), server: times.iter().sum() }
}

/// The mean server time of each SOAP method, on stderr beside the table: where a run's time goes.
fn print_per_method(report: &RunReport) {
    let mut by_method: std::collections::BTreeMap<&str, (u32, Duration)> = Default::default();
    for (method, time) in &report.calls {
        let entry = by_method.entry(method).or_default();
        entry.0 += 1;
        entry.1 += *time;
    }
    for (method, (calls, total)) in by_method {
        eprintln!("  {method}: {calls} calls, mean {:.2} ms", (total / calls).as_secs_f64() * 1e3);
    }
}

/// Sets up a merchant on SQLite or (`postgres`) a fresh PostgreSQL database, imports `count`
/// orders, and runs the Web Connector once.
fn sync(binary: &Path, postgres: bool, count: usize, latency: Duration) -> (Figures, Duration) {
    let database = postgres.then(|| PostgresDatabase::create().expect("LEDGERBRIDGE_TEST_POSTGRES_URL is set"));
    let merchant = start(binary, database.as_ref().map(|d| d.url.as_str()));
    let mut company = Company::us_sample(0);
    let store = merchant.set_up("INVOICE_WITH_PAYMENT", &mut company);
    for from in (0..count).step_by(200) {
        let imported = merchant.import(&store, orders(from, 200.min(count - from)));
        assert!(
            imported.as_array().is_some_and(|a| a.iter().all(|o| o["errors"].as_array().is_some_and(Vec::is_empty)))
        );
    }
    // The first requests of each kind are checked against Intuit's schema; the rest are the
    // same writers with other values, and xmllint would dominate the stand-in's time.
    company.validate = false;
    company.latency = latency;
    company.busy = Duration::ZERO;
    let report = merchant.web_connector(PASSWORD).run(&mut company);
    assert_eq!(report.progress.last(), Some(&100), "the run finished: {:?}", report.last_error);
    let invoices = company.transactions.iter().filter(|t| t.kind == "Invoice").count();
    assert_eq!(invoices, count, "every order is in QuickBooks once");
    assert_eq!(company.payments.len(), count);
    print_per_method(&report);
    (figures(&report), company.busy)
}

fn main() {
    let binary = release_binary();
    let mut databases = vec![("SQLite", false)];
    if std::env::var_os("LEDGERBRIDGE_TEST_POSTGRES_URL").is_some() {
        databases.push(("PostgreSQL", true));
    } else {
        eprintln!("PostgreSQL skipped: set LEDGERBRIDGE_TEST_POSTGRES_URL to measure it too");
    }
    println!("| measure | ours | limit | ratio | target |");
    println!("|---|---|---|---|---|");
    let mut missed = false;
    for (name, postgres) in &databases {
        let (batch, _) = sync(&binary, *postgres, 100, Duration::ZERO);
        let ratio = batch.p99.as_secs_f64() / 1.0;
        missed |= ratio >= 0.5;
        println!(
            "| {name}: server time per Web Connector call, 100-order batch ({} calls), p99 | {:.1} ms | 1 s | {ratio:.3} | well under 1 |",
            batch.calls,
            batch.p99.as_secs_f64() * 1e3
        );
    }
    let suite = std::env::var_os("LEDGERBRIDGE_BENCH_SUITE").is_some();
    for (name, postgres) in databases.iter().filter(|(_, postgres)| !(suite && *postgres)) {
        let (run, stand_in) = sync(&binary, *postgres, 2_000, Duration::from_millis(20));
        let slowest = run.slowest.as_secs_f64() / WEB_CONNECTOR_LIMIT.as_secs_f64();
        missed |= slowest >= 0.1;
        println!(
            "| {name}: 2,000 orders at 20 ms per QuickBooks request, slowest of {} calls | {:.0} ms | 120 s (the Web Connector's limit) | {slowest:.4} | far below 1 |",
            run.calls,
            run.slowest.as_secs_f64() * 1e3
        );
        let share = run.server.as_secs_f64() / (run.server + stand_in).as_secs_f64();
        missed |= share > 0.10;
        println!(
            "| {name}: 2,000 orders, server's share of the run | {:.1} s | the stand-in's own {:.1} s | {:.1} % | ≤ 10 % |",
            run.server.as_secs_f64(),
            stand_in.as_secs_f64(),
            share * 100.0
        );
    }
    if missed {
        println!("\nA target was missed.");
        std::process::exit(1);
    }
}
