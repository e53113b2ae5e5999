//! Webhook deliveries are answered once stored and made into orders after, by the intake
//! worker: each exactly once, however many workers (replicas) reach for them at once, and
//! those left waiting (a stop, another replica) taken up without a new delivery.

use std::time::Duration;

use chrono::Utc;
use ledgerbridge::entities::{store_order, transaction_log_entry, webhook_event};
use ledgerbridge::stores::Platform;
use ledgerbridge::webhooks::handover::Handover;
use ledgerbridge::webhooks::intake::read as read_intake;
use ledgerbridge::webhooks::worker::process_waiting;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{TestApp, on_both_databases};

on_both_databases!(
    every_waiting_delivery_becomes_one_order_however_many_workers_take_them,
    a_delivery_left_waiting_is_acted_on_without_a_new_one,
    deliveries_arriving_together_are_stored_together_each_repeat_once,
    a_rotated_secret_and_a_removed_store_apply_to_the_next_delivery_at_once,
    the_worker_acts_on_what_the_request_read_and_reads_the_body_when_nothing_was_handed_over,
    postgresql_compresses_bodies_and_payloads_with_lz4_when_it_can,
);

/// A merchant's token, connection and Shopify store.
async fn shopify_store(app: &TestApp) -> (String, String, Uuid) {
    let merchant = app.sign_up("intake@shop.example").await;
    let token = merchant.access_token;
    let connection = app.create_connection(&token, "Main").await;
    let added = app
        .graphql(
            Some(&token),
            "mutation($c: ID!) { addStore(connectionId: $c, input: { platform: SHOPIFY, name: \"Shop\" }) { store { id } } }",
            json!({ "c": connection }),
        )
        .await;
    let store = added.data()["addStore"]["store"]["id"].as_str().expect("a store").parse().expect("a uuid");
    (token, connection, store)
}

fn order_body(order_id: u64, number: &str, financial: &str) -> serde_json::Value {
    json!({
        "id": order_id, "name": number, "created_at": "2026-11-26T10:00:00Z", "currency": "USD",
        "financial_status": financial,
        "line_items": [{ "sku": "A", "title": "A", "quantity": 1, "price": "2.00" }], "total_price": "2.00"
    })
}

/// A delivery as the request stores it: raw, RECEIVED, not acted on.
async fn stored_delivery(app: &TestApp, store: Uuid, topic: &str, order_id: u64, number: &str, financial: &str) {
    store_delivery_as(app, Uuid::now_v7(), store, topic, order_body(order_id, number, financial)).await;
}

async fn store_delivery_as(app: &TestApp, id: Uuid, store: Uuid, topic: &str, body: serde_json::Value) {
    webhook_event::ActiveModel {
        id: Set(id),
        store_id: Set(store),
        topic: Set(topic.to_owned()),
        event_id: Set(Uuid::new_v4().to_string()),
        outcome: Set(ledgerbridge::webhooks::RECEIVED.to_owned()),
        raw_body: Set(body.to_string()),
        order_id: Set(None),
        error: Set(None),
        received_at: Set(Utc::now()),
    }
    .insert(&app.state.db)
    .await
    .expect("a stored delivery");
}

async fn every_waiting_delivery_becomes_one_order_however_many_workers_take_them(app: &TestApp) {
    let (_, _, store) = shopify_store(app).await;
    const ORDERS: u64 = 450;
    for n in 0..ORDERS {
        stored_delivery(app, store, "orders/create", 1000 + n, &format!("#{}", 1000 + n), "pending").await;
    }
    // A later update of the first order, stored after its creation: acted on after it.
    stored_delivery(app, store, "orders/updated", 1000, "#1000", "paid").await;
    // Three workers at once, as three replicas would, besides the application's own.
    let workers: Vec<_> = (0..3)
        .map(|_| {
            let (db, bus, gate) = (app.state.db.clone(), app.state.log_bus.clone(), app.state.write_gate.clone());
            tokio::spawn(async move {
                let mut taken = 0;
                loop {
                    match process_waiting(&db, &bus, &gate, &Handover::default()).await.expect("the worker's pass") {
                        0 => return taken,
                        n => taken += n,
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.expect("a worker");
    }
    wait_until_none_waiting(app).await;
    let orders = store_order::Entity::find().filter(store_order::Column::StoreId.eq(store)).all(&app.state.db).await;
    let orders = orders.expect("orders");
    assert_eq!(orders.len() as u64, ORDERS, "one order per store id");
    let first = orders.iter().find(|o| o.external_id == "1000").expect("the first order");
    assert_eq!(first.payload["financialStatus"], "paid", "the update was acted on after the creation");
    let received = transaction_log_entry::Entity::find()
        .filter(transaction_log_entry::Column::Kind.eq("ORDER_RECEIVED"))
        .count(&app.state.db)
        .await
        .expect("log");
    assert_eq!(received, ORDERS + 1, "each delivery acted on exactly once (450 received, 1 updated)");
    let stored = webhook_event::Entity::find()
        .filter(webhook_event::Column::Outcome.eq("ORDER_STORED"))
        .count(&app.state.db)
        .await
        .expect("deliveries");
    assert_eq!(stored, ORDERS + 1);
}

async fn a_delivery_left_waiting_is_acted_on_without_a_new_one(app: &TestApp) {
    let (token, connection, store) = shopify_store(app).await;
    // Stored by a replica that stopped (or never woke this one): the worker's timer finds it.
    stored_delivery(app, store, "orders/create", 77, "#77", "paid").await;
    wait_until_none_waiting(app).await;
    let answer = app
        .graphql(
            Some(&token),
            "query($c: ID!) { stores(connectionId: $c) { webhooksWaiting webhookDeliveries { topic outcome error } } }",
            json!({ "c": connection }),
        )
        .await;
    let store_data = &answer.data()["stores"][0];
    assert_eq!(store_data["webhooksWaiting"], 0);
    assert_eq!(
        store_data["webhookDeliveries"],
        json!([{ "topic": "orders/create", "outcome": "ORDER_STORED", "error": null }])
    );
    // A batch with nothing new in it: the order's update alone.
    stored_delivery(app, store, "orders/updated", 77, "#77", "refunded").await;
    wait_until_none_waiting(app).await;
    let order = store_order::Entity::find().filter(store_order::Column::ExternalId.eq("77")).one(&app.state.db).await;
    assert_eq!(order.expect("query").expect("the order").payload["financialStatus"], "refunded");
}

async fn the_worker_acts_on_what_the_request_read_and_reads_the_body_when_nothing_was_handed_over(app: &TestApp) {
    let (_, _, store) = shopify_store(app).await;
    // What a request read from its delivery, offered before the delivery is stored. Its
    // number differs from the stored body's, to tell which of the two the worker used.
    let handed = Uuid::now_v7();
    let read =
        read_intake(Platform::Shopify, "orders/create", order_body(31, "#31-as-read", "paid").to_string().as_bytes());
    app.state.intake_handover.offer(handed, read.expect("readable").expect("an order"));
    store_delivery_as(app, handed, store, "orders/create", order_body(31, "#31-as-stored", "paid")).await;
    // Stored by another replica, or before a restart: nothing handed over.
    stored_delivery(app, store, "orders/create", 32, "#32-as-stored", "paid").await;
    app.state.intake_wake.notify_one();
    wait_until_none_waiting(app).await;
    let numbers: Vec<String> = store_order::Entity::find()
        .filter(store_order::Column::StoreId.eq(store))
        .all(&app.state.db)
        .await
        .expect("orders")
        .into_iter()
        .map(|o| o.order_number)
        .collect();
    assert_eq!(numbers.len(), 2);
    assert!(numbers.contains(&"#31-as-read".to_owned()), "{numbers:?}");
    assert!(numbers.contains(&"#32-as-stored".to_owned()), "{numbers:?}");
    assert!(app.state.intake_handover.take(handed).is_none(), "taken once");
}

async fn postgresql_compresses_bodies_and_payloads_with_lz4_when_it_can(app: &TestApp) {
    use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
    let db = &app.state.db;
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return;
    }
    let can = db.execute_unprepared("SET default_toast_compression = 'lz4'").await.is_ok();
    db.execute_unprepared("RESET default_toast_compression").await.expect("reset");
    for (table, column) in [("webhook_event", "raw_body"), ("store_order", "payload")] {
        let sql = format!(
            "SELECT attcompression::text AS method FROM pg_attribute \
             WHERE attrelid = '{table}'::regclass AND attname = '{column}'"
        );
        let row = db.query_one_raw(Statement::from_string(DatabaseBackend::Postgres, sql)).await;
        let method: String = row.expect("query").expect("the column").try_get("", "method").expect("text");
        assert_eq!(method == "l", can, "{table}.{column}: {method:?}");
    }
}

async fn wait_until_none_waiting(app: &TestApp) {
    for _ in 0..200 {
        let waiting = webhook_event::Entity::find()
            .filter(webhook_event::Column::Outcome.eq(ledgerbridge::webhooks::RECEIVED))
            .count(&app.state.db)
            .await
            .expect("deliveries");
        if waiting == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("deliveries still waiting after 5 s");
}

async fn deliveries_arriving_together_are_stored_together_each_repeat_once(app: &TestApp) {
    use hmac::Mac;
    let (token, _, store) = shopify_store(app).await;
    let secret = app
        .graphql(
            Some(&token),
            "mutation($s: ID!) { rotateStoreSecret(id: $s) { signingSecret } }",
            json!({ "s": store.to_string() }),
        )
        .await;
    let secret = secret.data()["rotateStoreSecret"]["signingSecret"].as_str().expect("a secret").to_owned();
    let post = |id: String, n: u64| {
        let (client, url, secret) =
            (app.client.clone(), app.url(&format!("/webhooks/shopify/{store}")), secret.clone());
        async move {
            let body =
                json!({ "id": n, "name": format!("#{n}"), "created_at": "2026-11-26T10:00:00Z", "currency": "USD",
                "line_items": [{ "sku": "A", "title": "A", "quantity": 1, "price": "2.00" }], "total_price": "2.00" })
                .to_string();
            let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("a key");
            mac.update(body.as_bytes());
            let signature =
                base64::Engine::encode(&base64::engine::general_purpose::STANDARD, mac.finalize().into_bytes());
            let response = client
                .post(url)
                .header("X-Shopify-Hmac-Sha256", signature)
                .header("X-Shopify-Topic", "orders/create")
                .header("X-Shopify-Webhook-Id", id)
                .body(body)
                .send()
                .await
                .expect("an answer");
            (response.status().as_u16(), response.text().await.unwrap_or_default())
        }
    };
    // Twenty retries of one delivery and thirty others, all at once.
    let mut requests = Vec::new();
    for _ in 0..20 {
        requests.push(tokio::spawn(post("same".to_owned(), 1)));
    }
    for n in 2..32 {
        requests.push(tokio::spawn(post(format!("d-{n}"), n)));
    }
    let mut answers = Vec::new();
    for request in requests {
        answers.push(request.await.expect("a request"));
    }
    assert!(answers.iter().all(|(status, _)| *status == 200), "{answers:?}");
    let repeats = answers.iter().filter(|(_, text)| text == "already received").count();
    assert_eq!(repeats, 19, "one of the twenty is stored, the others are repeats: {answers:?}");
    wait_until_none_waiting(app).await;
    let orders = store_order::Entity::find().filter(store_order::Column::StoreId.eq(store)).count(&app.state.db).await;
    assert_eq!(orders.expect("count"), 31);
}

/// A signed Shopify delivery of order `n`; its status and answer.
async fn deliver(app: &TestApp, store: Uuid, secret: &str, n: u64) -> (u16, String) {
    use hmac::Mac;
    let body = json!({ "id": n, "name": format!("#{n}"), "created_at": "2026-11-26T10:00:00Z", "currency": "USD",
        "line_items": [{ "sku": "A", "title": "A", "quantity": 1, "price": "2.00" }], "total_price": "2.00" })
    .to_string();
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("a key");
    mac.update(body.as_bytes());
    let signature = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, mac.finalize().into_bytes());
    let response = app
        .client
        .post(app.url(&format!("/webhooks/shopify/{store}")))
        .header("X-Shopify-Hmac-Sha256", signature)
        .header("X-Shopify-Topic", "orders/create")
        .header("X-Shopify-Webhook-Id", format!("d-{n}"))
        .body(body)
        .send()
        .await
        .expect("an answer");
    (response.status().as_u16(), response.text().await.unwrap_or_default())
}

/// The server keeps a store between deliveries; a new secret or the store's removal must not
/// wait for that to lapse.
async fn a_rotated_secret_and_a_removed_store_apply_to_the_next_delivery_at_once(app: &TestApp) {
    let (token, _, store) = shopify_store(app).await;
    let rotate = || async {
        let rotated = app
            .graphql(
                Some(&token),
                "mutation($s: ID!) { rotateStoreSecret(id: $s) { signingSecret } }",
                json!({ "s": store.to_string() }),
            )
            .await;
        rotated.data()["rotateStoreSecret"]["signingSecret"].as_str().expect("a secret").to_owned()
    };
    let first = rotate().await;
    assert_eq!(deliver(app, store, &first, 1).await.0, 200, "the store is read and kept");
    let second = rotate().await;
    assert_eq!(deliver(app, store, &first, 2).await.0, 401, "the old secret is refused at once");
    assert_eq!(deliver(app, store, &second, 3).await.0, 200);
    let removed = app
        .graphql(Some(&token), "mutation($s: ID!) { removeStore(id: $s) { id } }", json!({ "s": store.to_string() }))
        .await;
    assert!(removed.data()["removeStore"]["id"].is_string());
    assert_eq!(deliver(app, store, &second, 4).await.0, 404, "a removed store receives nothing at once");
}

/// A worker reads its batch before its turn to write; deliveries another replica takes in the
/// meantime are left to that replica. SQLite only: there the turn can be held (PostgreSQL has
/// no turns, its row locks decide).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_taken_by_another_replica_while_a_worker_waits_for_its_turn_are_left_to_it() {
    let app = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite).await.expect("sqlite always runs");
    let (_, _, store) = shopify_store(&app).await;
    let turn = app.state.write_gate.enter().await;
    for n in 0..5 {
        stored_delivery(&app, store, "orders/create", 500 + n, &format!("#{}", 500 + n), "paid").await;
    }
    let (db, bus, gate) = (app.state.db.clone(), app.state.log_bus.clone(), app.state.write_gate.clone());
    let worker = tokio::spawn(async move { process_waiting(&db, &bus, &gate, &Handover::default()).await });
    // Long enough for the worker to read and map five deliveries and queue for the turn.
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Another replica takes the first two meanwhile (as its commit would leave them).
    let waiting = webhook_event::Entity::find()
        .filter(webhook_event::Column::StoreId.eq(store))
        .all(&app.state.db)
        .await
        .expect("deliveries");
    let mut taken_elsewhere = waiting.iter().map(|e| e.id).collect::<Vec<_>>();
    taken_elsewhere.sort();
    taken_elsewhere.truncate(2);
    webhook_event::Entity::update_many()
        .col_expr(webhook_event::Column::Outcome, sea_orm::sea_query::Expr::value("ORDER_STORED"))
        .filter(webhook_event::Column::Id.is_in(taken_elsewhere.clone()))
        .exec(&app.state.db)
        .await
        .expect("the other replica's commit");
    drop(turn);
    let taken = worker.await.expect("the worker").expect("the worker's pass");
    wait_until_none_waiting(&app).await;
    // The worker (or the application's own, which may have had its turn first) took the rest.
    assert!(taken == 3 || taken == 0, "only the three still waiting, got {taken}");
    let orders = store_order::Entity::find().filter(store_order::Column::StoreId.eq(store)).all(&app.state.db).await;
    let mut made: Vec<String> = orders.expect("orders").into_iter().map(|o| o.external_id).collect();
    made.sort();
    assert_eq!(made, ["502", "503", "504"], "no order for the deliveries the other replica took");
}

/// Two replicas given the same redeliveries at once, in opposite orders, each as one group:
/// both groups are stored, every delivery once. On PostgreSQL an insert waits on a key the
/// other has just inserted; in opposite orders the two would wait on each other (a deadlock,
/// one group refused) but for the one order every replica inserts in. One thread, so that
/// each writer finds all its deliveries queued and writes them as a single group.
#[tokio::test(flavor = "current_thread")]
async fn two_replicas_storing_the_same_redeliveries_in_opposite_orders_store_each_once() {
    use ledgerbridge::db::WriteGate;
    use ledgerbridge::webhooks::intake_writer::{IntakeWriter, Stored};
    let Some(app) = crate::helpers::spawn_app(crate::helpers::Backend::Postgres).await else {
        eprintln!("skipped: set LEDGERBRIDGE_TEST_POSTGRES_URL to run on PostgreSQL");
        return;
    };
    let (_, _, store) = shopify_store(&app).await;
    let db = &app.state.db;
    let replica = || IntakeWriter::spawn(db.clone(), WriteGate::for_database(db), Default::default());
    let (a, b) = (replica(), replica());
    let row = |round: usize, event: usize| webhook_event::Model {
        id: Uuid::now_v7(),
        store_id: store,
        topic: "orders/create".to_owned(),
        event_id: format!("redelivered-{round}-{event:03}"),
        outcome: ledgerbridge::webhooks::RECEIVED.to_owned(),
        raw_body: order_body(event as u64, &format!("#{event}"), "paid").to_string(),
        order_id: None,
        error: None,
        received_at: Utc::now(),
    };
    // The two statements need not overlap in every round; in eight, unordered ones did.
    const ROUNDS: usize = 8;
    const EVENTS: usize = 200;
    for round in 0..ROUNDS {
        let mut stores = Vec::new();
        for event in 0..EVENTS {
            let (a, row) = (a.clone(), row(round, event));
            stores.push(tokio::spawn(async move { a.store(row).await }));
        }
        for event in (0..EVENTS).rev() {
            let (b, row) = (b.clone(), row(round, event));
            stores.push(tokio::spawn(async move { b.store(row).await }));
        }
        let mut new = 0;
        for stored in stores {
            match stored.await.expect("a store task") {
                Ok(Stored::New) => new += 1,
                Ok(Stored::Repeat) => {}
                Err(err) => panic!("a group was refused in round {round}: {err}"),
            }
        }
        assert_eq!(new, EVENTS, "each delivery stored by one replica, a repeat to the other");
    }
    let kept = webhook_event::Entity::find().filter(webhook_event::Column::StoreId.eq(store)).count(db).await;
    assert_eq!(kept.expect("count"), (ROUNDS * EVENTS) as u64);
}

/// A group the database refuses for one of its rows (here a store that no longer exists) is
/// stored one by one: the others are kept, and only that one's request fails (its store
/// sends it again). One thread, so that the three form one group.
#[tokio::test(flavor = "current_thread")]
async fn one_delivery_the_database_refuses_fails_alone_not_its_group() {
    use ledgerbridge::db::WriteGate;
    use ledgerbridge::webhooks::intake_writer::{IntakeWriter, Stored};
    for backend in [crate::helpers::Backend::Sqlite, crate::helpers::Backend::Postgres] {
        let Some(app) = crate::helpers::spawn_app(backend).await else {
            eprintln!("skipped on PostgreSQL: set LEDGERBRIDGE_TEST_POSTGRES_URL");
            continue;
        };
        let (_, _, store) = shopify_store(&app).await;
        let db = &app.state.db;
        let writer = IntakeWriter::spawn(db.clone(), WriteGate::for_database(db), Default::default());
        let row = |store_id: Uuid, event: &str| webhook_event::Model {
            id: Uuid::now_v7(),
            store_id,
            topic: "orders/create".to_owned(),
            event_id: event.to_owned(),
            outcome: ledgerbridge::webhooks::RECEIVED.to_owned(),
            raw_body: order_body(1, "#1", "paid").to_string(),
            order_id: None,
            error: None,
            received_at: Utc::now(),
        };
        let rows = [row(store, "kept-1"), row(Uuid::now_v7(), "storeless"), row(store, "kept-2")];
        let stores: Vec<_> = rows
            .into_iter()
            .map(|row| {
                let writer = writer.clone();
                tokio::spawn(async move { writer.store(row).await })
            })
            .collect();
        let mut outcomes = Vec::new();
        for stored in stores {
            outcomes.push(stored.await.expect("a store task"));
        }
        assert!(matches!(outcomes[0], Ok(Stored::New)), "{backend:?}: {outcomes:?}");
        assert!(outcomes[1].is_err(), "{backend:?}: {outcomes:?}");
        assert!(matches!(outcomes[2], Ok(Stored::New)), "{backend:?}: {outcomes:?}");
        let kept = webhook_event::Entity::find().filter(webhook_event::Column::StoreId.eq(store)).count(db).await;
        assert_eq!(kept.expect("count"), 2, "{backend:?}");
    }
}
