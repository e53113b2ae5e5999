//! Notification emails over a real SMTP conversation with a sink on loopback: the daily
//! digest once per day whatever the number of replicas, alerts once per run and per outage,
//! failures logged and retried, and a server without email saying so.

use std::time::Duration;

use chrono::{DateTime, Utc};
use e2e::smtp::{Delivered, SmtpSink};
use ledgerbridge::config::{SmtpConfig, SmtpSecurity};
use ledgerbridge::entities::{notification, qb_connection, wc_session};
use ledgerbridge::transaction_log::{LogKind, NewLogEntry, record_log_entry};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Backend, TestApp, spawn_app, spawn_app_with};

/// Runs each scenario on SQLite and PostgreSQL with a fresh SMTP sink the server sends to.
macro_rules! with_a_mail_server {
    ($($scenario:ident),* $(,)?) => {$(
        mod $scenario {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let (app, sink) = super::with_sink(crate::helpers::Backend::Sqlite).await.expect("sqlite always runs");
                super::$scenario(&app, &sink).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                match super::with_sink(crate::helpers::Backend::Postgres).await {
                    Some((app, sink)) => super::$scenario(&app, &sink).await,
                    None => eprintln!("skipped: set LEDGERBRIDGE_TEST_POSTGRES_URL to run on PostgreSQL"),
                }
            }
        }
    )*};
}

with_a_mail_server!(
    the_daily_digest_goes_once_a_day_to_every_recipient_with_both_parts_and_the_counts,
    a_refused_message_is_logged_and_sent_on_a_later_attempt,
    an_outage_is_told_once_and_so_is_its_end,
    a_run_that_created_records_sends_one_email_listing_them,
    a_message_being_sent_is_left_to_its_sender_until_its_lease_runs_out,
);

async fn with_sink(backend: Backend) -> Option<(TestApp, SmtpSink)> {
    let sink = SmtpSink::start();
    let port = sink.port;
    let app = spawn_app_with(backend, move |config| {
        config.smtp = Some(SmtpConfig {
            host: "127.0.0.1".into(),
            port,
            security: SmtpSecurity::None,
            username: None,
            password: None,
            from: "Ledgerbridge <books@ledgerbridge.test>".into(),
        });
        config.notification_retry = Duration::from_secs(1);
        // The server's own notifier runs too, on the real clock: the scenarios move time on
        // by calling the notifier with a later `now`, racing it as another replica would.
        config.notification_interval = Duration::from_secs(1);
    })
    .await?;
    Some((app, sink))
}

/// A merchant in New York with one connection set up, whose step 7 sends to two addresses.
async fn set_up(app: &TestApp, email: &str, daily_at: &str) -> (String, Uuid) {
    let token = app.sign_up(email).await.access_token;
    let connection = app.create_connection(&token, "Main").await;
    let zone = app
        .graphql(Some(&token), "mutation { setTimeZone(timeZone: \"America/New_York\") { timeZone } }", json!({}))
        .await;
    assert_eq!(zone.data()["setTimeZone"]["timeZone"], "America/New_York");
    let saved = app
        .graphql(
            Some(&token),
            "mutation($c: ID!, $t: String!) { saveNotificationSettings(connectionId: $c, input: { emails: \"owner@shop.example, books@shop.example\", dailyLogEmail: true, notifyCustomerCreated: true, notifyItemCreated: true, dailyEmailTime: $t }) { saved { dailyEmailTime } } }",
            json!({ "c": connection, "t": daily_at }),
        )
        .await;
    assert_eq!(saved.data()["saveNotificationSettings"]["saved"]["dailyEmailTime"], daily_at);
    let id: Uuid = connection.parse().expect("a uuid");
    let row = qb_connection::Entity::find_by_id(id).one(&app.state.db).await.expect("query").expect("connection");
    let mut active: qb_connection::ActiveModel = row.into();
    // Set up now: digests of days before are not sent (the server's own notifier would).
    active.setup_completed_at = Set(Some(Utc::now()));
    active.company_name = Set(Some("Sample Company".into()));
    active.update(&app.state.db).await.expect("set-up done");
    (token, id)
}

async fn log(app: &TestApp, connection: Uuid, kind: LogKind, message: &str, order: Option<Uuid>) {
    let mut entry = NewLogEntry::info(connection, kind, message);
    entry.order_id = order;
    record_log_entry(&app.state.db, &app.state.log_bus, entry).await.expect("a log entry");
}

async fn history(app: &TestApp, token: &str, connection: Uuid) -> Vec<Value> {
    let answer = app
        .graphql(
            Some(token),
            "query($c: ID!) { notifications(connectionId: $c) { edges { node { kind status attempts lastError subject recipients } } } }",
            json!({ "c": connection.to_string() }),
        )
        .await;
    answer.data()["notifications"]["edges"].as_array().expect("edges").iter().map(|e| e["node"].clone()).collect()
}

struct Mime {
    subject: String,
    text: String,
    html: String,
}

fn parse(message: &Delivered) -> Mime {
    let parsed = mail_parser::MessageParser::default().parse(message.data.as_bytes()).expect("a MIME message");
    Mime {
        subject: parsed.subject().unwrap_or_default().to_owned(),
        text: parsed.body_text(0).map(|t| t.into_owned()).unwrap_or_default(),
        html: parsed.body_html(0).map(|t| t.into_owned()).unwrap_or_default(),
    }
}

/// Two notifiers (two replicas) recording and sending at once, at `now`.
async fn both_replicas(app: &TestApp, now: DateTime<Utc>) {
    let (a, b) = (app.state.notifier(), app.state.notifier());
    let (ra, rb) = tokio::join!(a.record_due(now), b.record_due(now));
    ra.expect("replica A records");
    rb.expect("replica B records");
    let (sa, sb) = tokio::join!(a.deliver_due(now), b.deliver_due(now));
    sa.expect("replica A sends");
    sb.expect("replica B sends");
}

async fn the_daily_digest_goes_once_a_day_to_every_recipient_with_both_parts_and_the_counts(
    app: &TestApp,
    sink: &SmtpSink,
) {
    let new_york: chrono_tz::Tz = "America/New_York".parse().expect("a zone");
    // The digest goes a minute ago, local time: tomorrow's covers everything logged now.
    let at = (Utc::now() - chrono::Duration::minutes(1)).with_timezone(&new_york).format("%H:%M").to_string();
    let (token, connection) = set_up(app, "digest@shop.example", &at).await;
    for _ in 0..3 {
        log(app, connection, LogKind::OrderSynced, "Order synced", Some(Uuid::new_v4())).await;
    }
    let failed = Uuid::new_v4();
    let refusal =
        "QuickBooks refused order #1004 (code 3140: invalid reference). An item named on the order is missing.";
    log(app, connection, LogKind::OrderFailed, refusal, Some(failed)).await;
    log(app, connection, LogKind::OrderFailed, refusal, Some(failed)).await;
    log(app, connection, LogKind::OrderParked, "Order #1005 waits for SKU-9 to be mapped", Some(Uuid::new_v4())).await;
    log(app, connection, LogKind::CustomerCreated, "Customer \"Lee, Ann\" created in QuickBooks for order #1001", None)
        .await;

    // A day later, five minutes after the time: late (as after a restart), and sent once.
    let due_plus = Utc::now() + chrono::Duration::days(1) + chrono::Duration::minutes(4);
    both_replicas(app, due_plus).await;
    both_replicas(app, due_plus + chrono::Duration::hours(3)).await;
    sink.wait_for(1, Duration::from_secs(10));
    // Time for a second copy to arrive, were one sent.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let delivered: Vec<_> = sink.delivered().into_iter().filter(|m| parse(m).subject.contains("daily log")).collect();
    assert_eq!(delivered.len(), 1, "one digest, however many replicas: {delivered:?}");
    let mut recipients = delivered[0].recipients.clone();
    recipients.sort();
    assert_eq!(recipients, ["books@shop.example", "owner@shop.example"]);
    assert_eq!(delivered[0].from, "books@ledgerbridge.test");
    let mime = parse(&delivered[0]);
    assert!(
        mime.subject.contains("Sample Company") && mime.subject.contains("3 synced, 1 failed, 1 waiting"),
        "{}",
        mime.subject
    );
    for part in [&mime.text, &mime.html] {
        assert!(part.contains("#1004") && part.contains("An item named on the order is missing"), "{part}");
        assert!(part.contains("Failures (1)"), "one order failed, twice: {part}");
        assert!(part.contains("Lee, Ann"), "customers created: {part}");
        assert!(part.contains(&format!("/connections/{connection}/log")), "a link to the log: {part}");
    }
    assert!(mime.text.contains("Orders synced to QuickBooks: 3") && mime.text.contains("Orders failed: 1"));
    assert!(mime.html.contains("<strong>3</strong>"));
    let sent = history(app, &token, connection).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!((sent[0]["kind"].as_str(), sent[0]["status"].as_str()), (Some("DAILY_DIGEST"), Some("SENT")));
}

async fn a_refused_message_is_logged_and_sent_on_a_later_attempt(app: &TestApp, sink: &SmtpSink) {
    let (token, connection) = set_up(app, "retry@shop.example", "07:00").await;
    sink.refuse_next(1);
    let answer = app
        .graphql(
            Some(&token),
            "mutation($c: ID!) { sendTestEmail(connectionId: $c) { kind status attempts lastError } }",
            json!({ "c": connection.to_string() }),
        )
        .await;
    let test = &answer.data()["sendTestEmail"];
    assert_eq!(
        (test["kind"].as_str(), test["status"].as_str(), test["attempts"].as_i64()),
        (Some("TEST"), Some("PENDING"), Some(1))
    );
    assert!(test["lastError"].as_str().unwrap_or_default().contains("451"), "the server's answer: {test}");
    assert_eq!(sink.refused(), 1);
    // The server's own notifier tries again a second later (the configured retry base).
    let delivered = sink.wait_for(1, Duration::from_secs(15));
    assert!(parse(&delivered[0]).subject.contains("test email"));
    for _ in 0..100 {
        if history(app, &token, connection).await[0]["status"] == "SENT" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let sent = history(app, &token, connection).await;
    assert_eq!((sent[0]["status"].as_str(), sent[0]["attempts"].as_i64()), (Some("SENT"), Some(2)), "{sent:?}");
    let log = app
        .graphql(
            Some(&token),
            "query($c: ID!) { transactionLog(connectionId: $c) { edges { node { kind level } } } }",
            json!({ "c": connection.to_string() }),
        )
        .await;
    let kinds: Vec<&str> = log.data()["transactionLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["node"]["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"NOTIFICATION_FAILED") && kinds.contains(&"NOTIFICATION_SENT"), "{kinds:?}");
}

async fn an_outage_is_told_once_and_so_is_its_end(app: &TestApp, sink: &SmtpSink) {
    // The daily email is set half a day away, so the two hours this test skips ahead never
    // reach it, whatever the time of day the test runs at.
    let far = (Utc::now().with_timezone(&chrono_tz::America::New_York) + chrono::Duration::hours(12)).format("%H:%M");
    let (token, connection) = set_up(app, "outage@shop.example", &far.to_string()).await;
    let set_last_contact = |at: DateTime<Utc>| async move {
        let row = qb_connection::Entity::find_by_id(connection).one(&app.state.db).await.unwrap().unwrap();
        let mut active: qb_connection::ActiveModel = row.into();
        active.last_contact_at = Set(Some(at));
        active.update(&app.state.db).await.expect("last contact");
    };
    // Every 10 minutes by default: 29 minutes of silence is not yet an outage, 31 is.
    set_last_contact(Utc::now() - chrono::Duration::minutes(29)).await;
    both_replicas(app, Utc::now()).await;
    assert!(history(app, &token, connection).await.is_empty());
    set_last_contact(Utc::now() - chrono::Duration::minutes(31)).await;
    both_replicas(app, Utc::now()).await;
    both_replicas(app, Utc::now() + chrono::Duration::hours(2)).await;
    set_last_contact(Utc::now()).await;
    both_replicas(app, Utc::now()).await;
    both_replicas(app, Utc::now()).await;
    let kinds: Vec<String> = history(app, &token, connection)
        .await
        .iter()
        .map(|n| n["kind"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(kinds, ["WEB_CONNECTOR_BACK", "WEB_CONNECTOR_OVERDUE"], "newest first, once each");
    let delivered = sink.wait_for(2, Duration::from_secs(10));
    let subjects: Vec<String> = delivered.iter().map(|m| parse(m).subject).collect();
    assert!(subjects.iter().any(|s| s.contains("stopped calling")), "{subjects:?}");
    assert!(subjects.iter().any(|s| s.contains("calling again")), "{subjects:?}");
}

async fn a_run_that_created_records_sends_one_email_listing_them(app: &TestApp, sink: &SmtpSink) {
    let (token, connection) = set_up(app, "created@shop.example", "07:00").await;
    let started = Utc::now() - chrono::Duration::seconds(5);
    log(app, connection, LogKind::CustomerCreated, "Customer \"Ann Lee\" created in QuickBooks for order #1", None)
        .await;
    log(app, connection, LogKind::CustomerCreated, "Customer \"Bo Chen\" created in QuickBooks for order #2", None)
        .await;
    log(app, connection, LogKind::ItemCreated, "Item \"Hammer\" created in QuickBooks for order #2", None).await;
    wc_session::ActiveModel {
        ticket: Set(Uuid::new_v4().to_string()),
        connection_id: Set(connection),
        plan: Set(json!({})),
        in_flight: Set(None),
        progress: Set(100),
        qbxml_version: Set(None),
        last_error: Set(None),
        created_at: Set(started),
        last_call_at: Set(Utc::now()),
        expires_at: Set(Utc::now() + chrono::Duration::minutes(5)),
        closed_at: Set(Some(Utc::now() + chrono::Duration::seconds(1))),
        reviewed_at: Set(None),
        revision: Set(0),
    }
    .insert(&app.state.db)
    .await
    .expect("a finished session");
    both_replicas(app, Utc::now()).await;
    both_replicas(app, Utc::now()).await;
    // The server's own notifier may have taken the session first: it records the email a
    // moment after it took it, while both replicas above found nothing left to take.
    let mut created = history(app, &token, connection).await;
    let waited = std::time::Instant::now();
    while created.is_empty() && waited.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(50)).await;
        created = history(app, &token, connection).await;
    }
    assert_eq!(created.len(), 1, "one email per run: {created:?}");
    assert_eq!(created[0]["kind"], "RECORDS_CREATED");
    let delivered = sink.wait_for(1, Duration::from_secs(10));
    let mime = parse(&delivered[0]);
    assert_eq!(mime.subject, "Ledgerbridge created 2 customers and 1 item in QuickBooks (Sample Company)");
    for name in ["Ann Lee", "Bo Chen", "Hammer"] {
        assert!(mime.text.contains(name) && mime.html.contains(name), "{name}");
    }
}

async fn a_message_being_sent_is_left_to_its_sender_until_its_lease_runs_out(app: &TestApp, sink: &SmtpSink) {
    let (token, connection) = set_up(app, "lease@shop.example", "07:00").await;
    // Another replica took this message a moment ago and is still talking to the mail server.
    let id = Uuid::now_v7();
    notification::ActiveModel {
        id: Set(id),
        connection_id: Set(connection),
        kind: Set("TEST".into()),
        dedupe_key: Set(format!("test:{id}")),
        recipients: Set("owner@shop.example".into()),
        subject: Set("Ledgerbridge lease check".into()),
        body_text: Set("text".into()),
        body_html: Set("<p>html</p>".into()),
        status: Set("SENDING".into()),
        attempts: Set(1),
        next_attempt_at: Set(Utc::now()),
        lease_until: Set(Some(Utc::now() + chrono::Duration::seconds(60))),
        last_error: Set(None),
        outage_since: Set(None),
        created_at: Set(Utc::now()),
        sent_at: Set(None),
    }
    .insert(&app.state.db)
    .await
    .expect("a message being sent");
    // A notifier scheduling a day ahead (as the digest scenario does) still sees a live lease:
    // the lease is on the wall clock, so it sends nothing.
    let sent = app.state.notifier().deliver_due(Utc::now() + chrono::Duration::days(1)).await.expect("a pass");
    assert_eq!(sent, 0, "a live lease is its holder's");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(sink.delivered().is_empty(), "nothing sent while the lease holds: {:?}", sink.delivered());
    // The holder died: once its lease has run out, the message is sent, once.
    let row = notification::Entity::find_by_id(id).one(&app.state.db).await.expect("query").expect("the message");
    let mut active: notification::ActiveModel = row.into();
    active.lease_until = Set(Some(Utc::now() - chrono::Duration::seconds(1)));
    active.update(&app.state.db).await.expect("the lease ran out");
    let delivered = sink.wait_for(1, Duration::from_secs(10));
    assert_eq!(parse(&delivered[0]).subject, "Ledgerbridge lease check");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(sink.delivered().len(), 1, "sent once");
    let sent = history(app, &token, connection).await;
    assert_eq!((sent[0]["status"].as_str(), sent[0]["attempts"].as_i64()), (Some("SENT"), Some(2)), "{sent:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_email_configured_a_test_says_so_and_nothing_is_lost() {
    let app = spawn_app(Backend::Sqlite).await.expect("sqlite");
    let (token, connection) = set_up(&app, "noemail@shop.example", "07:00").await;
    let answer = app
        .graphql(
            Some(&token),
            "mutation($c: ID!) { sendTestEmail(connectionId: $c) { status lastError } }",
            json!({ "c": connection.to_string() }),
        )
        .await;
    let test = &answer.data()["sendTestEmail"];
    assert_eq!(test["status"], "NOT_SENT");
    assert!(test["lastError"].as_str().unwrap_or_default().contains("not configured"), "{test}");
    let other = app.sign_up("other@shop.example").await.access_token;
    let foreign = app
        .graphql(
            Some(&other),
            "query($c: ID!) { notifications(connectionId: $c) { edges { node { subject } } } }",
            json!({ "c": connection.to_string() }),
        )
        .await;
    assert_eq!(foreign.code(), "NOT_FOUND", "another merchant sees nothing of it");
}
