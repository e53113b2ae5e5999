//! The Web Connector over real SOAP against the real binary, with an in-memory QuickBooks
//! company that validates every request against Intuit's XSD.

use std::process::Command;

use e2e::quickbooks::Company;
use e2e::server::{PostgresDatabase, Server, command};
use e2e::web_connector::{Step, WebConnector};
use serde_json::{Value, json};

pub(crate) use e2e::merchant::{Merchant as Paired, PASSWORD};

fn serve(dir: &std::path::Path, extra: &[&str]) -> Command {
    let mut serve = command();
    serve
        .current_dir(dir)
        .args(["serve", "--listen", "127.0.0.1:0", "--database-url"])
        .arg(format!("sqlite://{}?mode=rwc", dir.join("lb.db").display()))
        .args(extra);
    serve
}

/// A merchant with one connection whose Web Connector password is set.
pub(crate) fn paired(config: Option<&str>) -> Paired {
    let dir = tempfile::tempdir().unwrap();
    let mut extra = Vec::new();
    let config_path = dir.path().join("lb.toml");
    if let Some(text) = config {
        std::fs::write(&config_path, text).unwrap();
        extra.push("--config".to_owned());
        extra.push(config_path.display().to_string());
    }
    let server = Server::start(serve(dir.path(), &extra.iter().map(String::as_str).collect::<Vec<_>>()));
    pair_on(server, dir)
}

fn pair_on(server: Server, dir: tempfile::TempDir) -> Paired {
    Paired::pair(server, dir)
}

#[test]
fn a_first_run_reads_the_company_and_every_list_and_the_wizard_can_use_them() {
    let paired = paired(None);
    let mut company = Company::us_sample(1_200);
    let report = paired.web_connector(PASSWORD).run(&mut company);
    assert_eq!(report.status(), "", "work to do: {:?}", report.authenticate);
    assert_eq!(report.progress.last(), Some(&100));
    assert!(report.progress.windows(2).all(|w| w[0] < w[1]), "progress only grows: {:?}", report.progress);
    assert!(report.progress[..report.progress.len() - 1].iter().all(|p| *p < 100), "{:?}", report.progress);
    assert_eq!(report.progress.len(), 4, "one round for the lists, three pages of items: {:?}", report.progress);
    assert!(report.close_message.unwrap().contains("lists read"));
    assert!(
        company.requests.iter().all(|r| r.contains("<?qbxml version=\"13.0\"?>")),
        "QuickBooks 2014-level companies get 13.0"
    );

    let data = paired.data(
        "query($c: ID!) { connection(id: $c) { lastContactAt company { name country edition qbxmlVersions } }
           quickbooksLists(connectionId: $c) { status { kind entryCount } }
           wizard(connectionId: $c) { quickbooksListsMessage accountSuggestions { depositAccount incomeAccount } } }",
    );
    let connection = &data["connection"];
    assert!(connection["lastContactAt"].is_string());
    assert_eq!(connection["company"]["name"], "Sample Outdoor Supply");
    assert_eq!(connection["company"]["country"], "US");
    assert_eq!(connection["company"]["edition"], "QuickBooks Premier 2024");
    assert_eq!(connection["company"]["qbxmlVersions"].as_array().unwrap().last().unwrap(), "13.0");
    let count = |kind: &str| {
        data["quickbooksLists"]["status"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["kind"] == kind)
            .map(|s| s["entryCount"].as_i64().unwrap())
    };
    assert_eq!(count("ITEM"), Some(1_203));
    assert_eq!(count("ACCOUNT"), Some(8));
    assert_eq!(count("SALES_TAX_GROUP"), Some(1));
    assert!(data["wizard"]["quickbooksListsMessage"].is_null());
    assert_eq!(data["wizard"]["accountSuggestions"]["depositAccount"], "Undeposited Funds");

    // The wizard now offers and checks against what the company really has.
    let save = "mutation($c: ID!, $i: AccountSettingsInput!) { saveAccountSettings(connectionId: $c, input: $i) { saved { incomeAccount } } }";
    let good = json!({ "incomeAccount": "Web Sales", "receivableAccount": "Accounts Receivable", "depositAccount": "Undeposited Funds" });
    let saved = paired.graphql(save, json!({ "c": paired.connection_id, "i": good }));
    assert_eq!(saved["data"]["saveAccountSettings"]["saved"]["incomeAccount"], "Sales:Web Sales", "{saved}");
    let inactive = json!({ "incomeAccount": "Sales", "receivableAccount": "Accounts Receivable", "depositAccount": "Checking", "discountAccount": "Shipping Expense" });
    let refused = paired.graphql(save, json!({ "c": paired.connection_id, "i": inactive }));
    assert!(refused["errors"][0]["message"].as_str().unwrap().contains("inactive"), "{refused}");

    let kinds = paired.log_kinds();
    for kind in ["WEB_CONNECTOR_SESSION_STARTED", "LISTS_READ", "WEB_CONNECTOR_SESSION_ENDED"] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} missing from {kinds:?}");
    }
}

#[test]
fn with_nothing_to_do_the_answer_is_none_until_a_refresh_is_asked_for() {
    let paired = paired(None);
    let mut company = Company::us_sample(0);
    assert_eq!(paired.web_connector(PASSWORD).run(&mut company).status(), "");
    let idle = paired.web_connector(PASSWORD).run(&mut company);
    assert_eq!(idle.status(), "none");
    assert_eq!(idle.authenticate.get(2).map(String::as_str), Some("600"), "come back at the connection's interval");

    company.add("Class", "Wholesale", "");
    let asked =
        paired.data("mutation($c: ID!) { refreshQuickbooksLists(connectionId: $c) { listsRefreshRequestedAt } }");
    assert!(asked["refreshQuickbooksLists"]["listsRefreshRequestedAt"].is_string());
    let refreshed = paired.web_connector(PASSWORD).run(&mut company);
    assert_eq!(refreshed.progress.last(), Some(&100));
    let classes = paired.data("query($c: ID!) { connection(id: $c) { listsRefreshRequestedAt } quickbooksLists(connectionId: $c) { entries(kind: CLASS) { edges { node { fullName } } } } }");
    let names: Vec<&str> = classes["quickbooksLists"]["entries"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["fullName"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Retail", "Web", "Wholesale"]);
    assert!(classes["connection"]["listsRefreshRequestedAt"].is_null(), "the refresh is done");
    assert_eq!(paired.web_connector(PASSWORD).run(&mut company).status(), "none");
}

#[test]
fn a_wrong_password_is_nvu_and_repeated_failures_lock_the_web_connector_out() {
    let paired = paired(None);
    let mut company = Company::us_sample(0);
    assert_eq!(paired.web_connector("wrong password").run(&mut company).status(), "nvu");
    let stranger = WebConnector::new(&paired.server.url(""), "lb-nobody", PASSWORD);
    assert_eq!(stranger.run(&mut company).status(), "nvu");
    for _ in 0..4 {
        assert_eq!(paired.web_connector("still wrong").run(&mut company).status(), "nvu");
    }
    assert_eq!(paired.web_connector(PASSWORD).run(&mut company).status(), "nvu", "locked out after five failures");
    assert!(company.requests.is_empty());
    let kinds = paired.log_kinds();
    assert_eq!(kinds.iter().filter(|k| *k == "WEB_CONNECTOR_LOGIN_FAILED").count(), 5);
}

#[test]
fn a_second_session_for_the_same_company_file_is_busy() {
    let paired = paired(None);
    let wc = paired.web_connector(PASSWORD);
    let first = wc.call("authenticate", &[("strUserName", &paired.user_name), ("strPassword", PASSWORD)]);
    assert_eq!(first[1], "");
    let second = wc.call("authenticate", &[("strUserName", &paired.user_name), ("strPassword", PASSWORD)]);
    assert_eq!(second[1], "busy");
    assert!(wc.call("closeConnection", &[("ticket", &first[0])])[0].contains("stopped before finishing"));
    let third = wc.call("authenticate", &[("strUserName", &paired.user_name), ("strPassword", PASSWORD)]);
    assert_eq!(third[1], "", "closing frees the company file");
}

#[test]
fn malformed_soap_gets_a_fault_and_unknown_tickets_end_cleanly() {
    let paired = paired(None);
    let wc = paired.web_connector(PASSWORD);
    for body in [
        "not xml at all",
        "<html><body>hi</body></html>",
        "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><dropTables/></soap:Body></soap:Envelope>",
    ] {
        let (status, answer) = wc.post_raw("\"x\"", body.to_owned());
        assert_eq!(status, 500, "{answer}");
        let document = roxmltree::Document::parse(&answer).expect("a fault is XML");
        let fault = document.descendants().find(|n| n.tag_name().name() == "Fault").expect("a SOAP Fault");
        assert_eq!(
            fault.children().find(|n| n.tag_name().name() == "faultcode").and_then(|n| n.text()),
            Some("soap:Client")
        );
    }
    let ticket = [("ticket", "no-such-ticket")];
    assert_eq!(
        wc.call(
            "sendRequestXML",
            &[
                ("ticket", "no-such-ticket"),
                ("strHCPResponse", ""),
                ("strCompanyFileName", ""),
                ("qbXMLCountry", "US"),
                ("qbXMLMajorVers", "13"),
                ("qbXMLMinorVers", "0")
            ]
        )[0],
        ""
    );
    assert!(wc.call("getLastError", &ticket)[0].contains("Run the Web Connector again"));
    assert_eq!(
        wc.call(
            "receiveResponseXML",
            &[("ticket", "no-such-ticket"), ("response", "<QBXML/>"), ("hresult", ""), ("message", "")]
        )[0],
        "-1"
    );
    assert_eq!(
        wc.call("connectionError", &[("ticket", "no-such-ticket"), ("hresult", "0x80040408"), ("message", "x")])[0],
        "done"
    );
    assert_eq!(wc.call("closeConnection", &ticket)[0], "OK");

    let wsdl = reqwest::blocking::get(paired.server.url("/qbwc?wsdl")).unwrap().text().unwrap();
    let document = roxmltree::Document::parse(&wsdl).unwrap();
    assert!(
        document
            .descendants()
            .any(|n| n.tag_name().name() == "operation" && n.attribute("name") == Some("receiveResponseXML"))
    );
}

#[test]
fn a_quickbooks_error_ends_the_run_with_the_reason_in_plain_english() {
    let paired = paired(None);
    let wc = paired.web_connector(PASSWORD);
    let company = Company::us_sample(0);
    let ticket = wc.call("authenticate", &[("strUserName", &paired.user_name), ("strPassword", PASSWORD)])[0].clone();
    let request = wc.send_request(&ticket, &company.hcp_response());
    assert!(request.contains("<AccountQueryRq"));
    let percent = wc.call(
        "receiveResponseXML",
        &[
            ("ticket", &ticket),
            ("response", ""),
            ("hresult", "0x80040400"),
            ("message", "QuickBooks found an error when parsing the provided XML text stream."),
        ],
    );
    assert_eq!(percent[0], "-1");
    let reason = wc.call("getLastError", &[("ticket", &ticket)])[0].clone();
    assert!(reason.contains("0x80040400") && reason.contains("could not read a request"), "{reason}");
    assert!(wc.call("closeConnection", &[("ticket", &ticket)])[0].contains("error"));
    let errors = paired.data("query($c: ID!) { transactionLog(connectionId: $c, filter: { levels: [ERROR] }) { edges { node { kind message details } } } }");
    let first = &errors["transactionLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["kind"] == "QUICKBOOKS_ERROR")
        .expect("the error is logged")["node"];
    assert_eq!(first["details"]["hresult"], "0x80040400");
}

#[test]
fn a_web_connector_that_vanishes_mid_run_loses_nothing_and_a_later_run_finishes() {
    // Long enough for a loaded machine to ask again while the lease holds (1 s was not: 16
    // tests at once on two cores took longer), short enough to wait out.
    let paired = paired(Some("web_connector_lease_seconds = 4\n"));
    let mut company = Company::us_sample(1_200);
    // Gone right after QuickBooks answered the first item page.
    let dropped = paired
        .web_connector(PASSWORD)
        .run_with(&mut company, |round, _| if round == 1 { Step::DropAfterSend } else { Step::Continue });
    assert!(dropped.close_message.is_none());
    let half = paired.data("query($c: ID!) { quickbooksLists(connectionId: $c) { status { kind } } }");
    assert!(
        !half["quickbooksLists"]["status"].as_array().unwrap().iter().any(|s| s["kind"] == "ITEM"),
        "half an item list is never shown"
    );

    assert_eq!(
        paired.web_connector(PASSWORD).run(&mut company).status(),
        "busy",
        "the vanished session still holds the file"
    );
    std::thread::sleep(std::time::Duration::from_millis(4_500));
    let finished = paired.web_connector(PASSWORD).run(&mut company);
    assert_eq!(finished.progress.last(), Some(&100), "{finished:?}");
    let data = paired.data("query($c: ID!) { quickbooksLists(connectionId: $c) { status { kind entryCount } entries(kind: ITEM, first: 5000) { edges { node { fullName } } } } }");
    let items = data["quickbooksLists"]["entries"]["edges"].as_array().unwrap();
    assert_eq!(items.len(), 1_203, "every item once, none twice");
    let mut names: Vec<&str> = items.iter().map(|e| e["node"]["fullName"].as_str().unwrap()).collect();
    names.dedup();
    assert_eq!(names.len(), 1_203);
}

#[test]
fn a_server_restarted_mid_session_carries_the_same_session_on() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(serve(dir.path(), &[]));
    let port = server.port;
    let paired = pair_on(server, dir);
    let mut company = Company::us_sample(0);
    let wc = paired.web_connector(PASSWORD);
    let ticket = wc.call("authenticate", &[("strUserName", &paired.user_name), ("strPassword", PASSWORD)])[0].clone();
    let request = wc.send_request(&ticket, &company.hcp_response());
    let answer = company.execute(&request);

    let Paired { server, token, connection_id, user_name, _dir } = paired;
    assert_eq!(server.terminate().0, Some(0));
    let listen = format!("127.0.0.1:{port}");
    let mut again = command();
    again
        .current_dir(_dir.path())
        .args(["serve", "--listen", &listen, "--database-url"])
        .arg(format!("sqlite://{}?mode=rwc", _dir.path().join("lb.db").display()));
    let server = Server::start(again);
    let paired = Paired { server, token, connection_id, user_name, _dir };

    let percent: i32 = wc
        .call("receiveResponseXML", &[("ticket", &ticket), ("response", &answer), ("hresult", ""), ("message", "")])[0]
        .parse()
        .unwrap();
    assert!(percent > 0 && percent < 100, "{percent}");
    let request = wc.send_request(&ticket, "");
    assert!(request.contains("<ItemQueryRq"), "the session goes on where it was: {request}");
    let answer = company.execute(&request);
    assert_eq!(
        wc.call("receiveResponseXML", &[("ticket", &ticket), ("response", &answer), ("hresult", ""), ("message", "")])
            [0],
        "100"
    );
    assert!(wc.call("closeConnection", &[("ticket", &ticket)])[0].contains("lists read"));
    let data = paired.data("query($c: ID!) { quickbooksLists(connectionId: $c) { read } }");
    assert_eq!(data["quickbooksLists"]["read"], true);
}

#[test]
fn the_qwc_file_downloads_for_its_owner_only() {
    let paired = paired(None);
    let path = format!("/connections/{}/qwc", paired.connection_id);
    let client = reqwest::blocking::Client::new();
    let mine = client.get(paired.server.url(&path)).bearer_auth(&paired.token).send().unwrap();
    assert_eq!(mine.status(), 200);
    assert_eq!(mine.headers()["content-type"], "application/x-qwc");
    assert!(mine.headers()["content-disposition"].to_str().unwrap().contains("ledgerbridge-main.qwc"));
    let file = mine.text().unwrap();
    let qwc = roxmltree::Document::parse(&file).unwrap();
    let text =
        |tag: &str| qwc.descendants().find(|n| n.has_tag_name(tag)).and_then(|n| n.text()).unwrap_or("").to_owned();
    assert_eq!(text("UserName"), paired.user_name);
    assert_eq!(text("AppURL"), paired.server.url("/qbwc"));
    assert_eq!(text("RunEveryNMinutes"), "10");
    let field = paired.data("query($c: ID!) { connection(id: $c) { qwcFile qwcDownloadPath } }");
    assert_eq!(field["connection"]["qwcFile"], file.as_str());
    assert_eq!(field["connection"]["qwcDownloadPath"], path.as_str());

    assert_eq!(client.get(paired.server.url(&path)).send().unwrap().status(), 401);
    let other: Value = client
        .post(paired.server.url("/graphql"))
        .json(&json!({ "query": "mutation { signUp(email: \"other@shop.example\", password: \"a long password\") { accessToken } }" }))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let other_token = other["data"]["signUp"]["accessToken"].as_str().unwrap();
    assert_eq!(client.get(paired.server.url(&path)).bearer_auth(other_token).send().unwrap().status(), 404);
}

#[test]
fn a_plain_http_public_address_is_refused_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(serve(dir.path(), &["--public-url", "http://books.example.com"]));
    let paired = pair_on(server, dir);
    let answer =
        paired.graphql("query($c: ID!) { connection(id: $c) { qwcFile } }", json!({ "c": paired.connection_id }));
    assert_eq!(answer["errors"][0]["extensions"]["code"], "VALIDATION");
    assert!(answer["errors"][0]["message"].as_str().unwrap().contains("https://"), "{answer}");
    let download = reqwest::blocking::Client::new()
        .get(paired.server.url(&format!("/connections/{}/qwc", paired.connection_id)))
        .bearer_auth(&paired.token)
        .send()
        .unwrap();
    assert_eq!(download.status(), 409);
    assert!(download.text().unwrap().contains("--public-url https://"));
}

#[test]
fn a_canadian_company_on_qbxml_16_is_recorded_as_such() {
    let paired = paired(None);
    let mut company = Company::us_sample(0);
    company.country = "CA".into();
    company.product_name = "QuickBooks Desktop Pro 2024 (Canada)".into();
    company.supported_versions.push("16.0".into());
    let report = paired.web_connector(PASSWORD).run(&mut company);
    assert_eq!(report.progress.last(), Some(&100));
    assert!(
        company.requests.iter().all(|r| r.contains("<?qbxml version=\"16.0\"?>")),
        "validated against the 16.0 schema"
    );
    let data = paired.data("query($c: ID!) { connection(id: $c) { company { country } } }");
    assert_eq!(data["connection"]["company"]["country"], "CA");
}

#[test]
fn the_web_connector_reads_the_lists_on_postgresql_too() {
    let Some(database) = PostgresDatabase::create() else {
        eprintln!("skipped: set LEDGERBRIDGE_TEST_POSTGRES_URL to run on PostgreSQL");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut serve = command();
    serve.current_dir(dir.path()).env("DATABASE_URL", &database.url).args(["serve", "--listen", "127.0.0.1:0"]);
    let paired = pair_on(Server::start(serve), dir);
    let mut company = Company::us_sample(1_200);
    let report = paired.web_connector(PASSWORD).run(&mut company);
    assert_eq!(report.progress, vec![25, 50, 75, 100]);
    let wc = paired.web_connector(PASSWORD);
    assert_eq!(wc.run(&mut company).status(), "none");
    let data = paired.data("query($c: ID!) { quickbooksLists(connectionId: $c) { status { kind entryCount } } }");
    assert!(
        data["quickbooksLists"]["status"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["kind"] == "ITEM" && s["entryCount"] == 1_203)
    );
    drop(paired);
}

/// A graphql-transport-ws subscription over a blocking websocket.
pub(crate) fn subscribe(
    paired: &Paired,
    query: &str,
) -> tungstenite::WebSocket<tungstenite::stream::MaybeTlsStream<std::net::TcpStream>> {
    use tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://127.0.0.1:{}/graphql/ws", paired.server.port).into_client_request().unwrap();
    request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
    let (mut socket, _) = tungstenite::connect(request).expect("websocket connects");
    if let tungstenite::stream::MaybeTlsStream::Plain(stream) = socket.get_ref() {
        stream.set_read_timeout(Some(std::time::Duration::from_secs(20))).unwrap();
    }
    let send = |socket: &mut tungstenite::WebSocket<_>, value: Value| {
        socket.send(tungstenite::Message::text(value.to_string())).unwrap()
    };
    send(
        &mut socket,
        json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {}", paired.token) } }),
    );
    assert_eq!(next_message(&mut socket)["type"], "connection_ack");
    send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": query, "variables": { "c": paired.connection_id } } }),
    );
    socket
}

pub(crate) fn next_message(
    socket: &mut tungstenite::WebSocket<tungstenite::stream::MaybeTlsStream<std::net::TcpStream>>,
) -> Value {
    loop {
        match socket.read().expect("a message within 20 s") {
            tungstenite::Message::Text(text) => {
                let value: Value = serde_json::from_str(&text).unwrap();
                if value["type"] != "ping" && value["type"] != "pong" {
                    return value;
                }
            }
            _ => continue,
        }
    }
}

#[test]
fn the_dashboard_sees_the_sync_percent_live_as_the_web_connector_reports_it() {
    let paired = paired(None);
    let mut socket =
        subscribe(&paired, "subscription($c: ID!) { syncProgress(connectionId: $c) { percent running message } }");
    let first = next_message(&mut socket);
    assert_eq!(
        first["payload"]["data"]["syncProgress"],
        json!({ "percent": 0, "running": false, "message": "Waiting for the Web Connector" })
    );

    let web_connector = paired.web_connector(PASSWORD);
    let run = std::thread::spawn(move || {
        let mut company = Company::us_sample(1_200);
        web_connector.run(&mut company)
    });
    let mut seen = Vec::new();
    loop {
        let message = next_message(&mut socket);
        let progress = message["payload"]["data"]["syncProgress"].clone();
        seen.push((progress["percent"].as_i64().unwrap(), progress["running"].as_bool().unwrap()));
        if progress["running"] == false {
            assert!(progress["message"].as_str().unwrap().contains("lists read"), "{progress}");
            break;
        }
    }
    assert_eq!(run.join().unwrap().progress, vec![25, 50, 75, 100]);
    assert_eq!(seen, vec![(0, true), (25, true), (50, true), (75, true), (100, true), (100, false)]);
    let now = paired.data("query($c: ID!) { connection(id: $c) { syncProgress { percent running startedAt } } }");
    assert_eq!(now["connection"]["syncProgress"]["percent"], 100);
    assert_eq!(now["connection"]["syncProgress"]["running"], false);
}
