//! A merchant driving the real server over GraphQL, as the dashboard or a partner script
//! does: signed up, paired with the Web Connector, set up through the wizard.

use serde_json::{Value, json};

use crate::quickbooks::Company;
use crate::server::{Server, command_for};
use crate::web_connector::WebConnector;

/// The Web Connector password every merchant here sets.
pub const PASSWORD: &str = "web connector pw";

/// A merchant with one connection whose Web Connector password is set.
pub struct Merchant {
    pub server: Server,
    pub token: String,
    pub connection_id: String,
    pub user_name: String,
    /// Where the server keeps its files; removed with the merchant.
    pub _dir: tempfile::TempDir,
}

impl Merchant {
    /// Signs up on `server`, creates a connection and sets its Web Connector password.
    pub fn pair(server: Server, dir: tempfile::TempDir) -> Merchant {
        let client = reqwest::blocking::Client::new();
        let signed: Value = client
            .post(server.url("/graphql"))
            .json(&json!({ "query": "mutation { signUp(email: \"wc@shop.example\", password: \"a long password\") { accessToken } }" }))
            .send()
            .expect("POST /graphql")
            .json()
            .expect("JSON");
        let token = signed["data"]["signUp"]["accessToken"].as_str().expect("an access token").to_owned();
        let mut merchant =
            Merchant { server, token, connection_id: String::new(), user_name: String::new(), _dir: dir };
        let created = merchant.graphql(
            "mutation { createConnection(input: { name: \"Main\", runEveryMinutes: 10 }) { id webConnectorUserName } }",
            json!({}),
        );
        merchant.connection_id = created["data"]["createConnection"]["id"].as_str().expect("a connection").to_owned();
        merchant.user_name =
            created["data"]["createConnection"]["webConnectorUserName"].as_str().expect("a user name").to_owned();
        let set = merchant.graphql(
            "mutation($c: ID!, $p: String!) { setWebConnectorPassword(connectionId: $c, password: $p) { hasWebConnectorPassword } }",
            json!({ "c": merchant.connection_id, "p": PASSWORD }),
        );
        assert_eq!(set["data"]["setWebConnectorPassword"]["hasWebConnectorPassword"], true, "{set}");
        merchant
    }

    /// A merchant paired on another build of the server (benchmarks run the release build),
    /// with quiet logs, on `database_url` or on a SQLite file of its own; `extra_args` go to
    /// `serve`. Returns the database URL beside the merchant.
    pub fn pair_on(binary: &std::path::Path, database_url: Option<&str>, extra_args: &[&str]) -> (Merchant, String) {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let url = database_url
            .map(str::to_owned)
            .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", dir.path().join("lb.db").display()));
        let mut serve = command_for(binary);
        serve
            .current_dir(dir.path())
            .env("RUST_LOG", "error")
            .args(["serve", "--listen", "127.0.0.1:0", "--database-url", &url])
            .args(extra_args);
        (Merchant::pair(Server::start(serve), dir), url)
    }

    pub fn graphql(&self, query: &str, variables: Value) -> Value {
        reqwest::blocking::Client::new()
            .post(self.server.url("/graphql"))
            .bearer_auth(&self.token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .expect("POST /graphql")
            .json()
            .expect("JSON")
    }

    /// The data of a query taking the connection as `$c`; GraphQL errors fail the caller.
    pub fn data(&self, query: &str) -> Value {
        let answer = self.graphql(query, json!({ "c": self.connection_id }));
        assert!(answer.get("errors").is_none(), "{answer}");
        answer["data"].clone()
    }

    pub fn web_connector(&self, password: &str) -> WebConnector {
        WebConnector::new(&self.server.url(""), &self.user_name, password)
    }

    /// Waits until the webhooks stores sent are made into orders: the server answers a store
    /// once the delivery is stored, and acts on it just after.
    pub fn settle_webhooks(&self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let data = self.data(
                "query($c: ID!) { stores(connectionId: $c) { name webhooksWaiting webhookDeliveries(first: 5) { topic outcome error } } }",
            );
            let waiting: i64 =
                data["stores"].as_array().expect("stores").iter().filter_map(|s| s["webhooksWaiting"].as_i64()).sum();
            if waiting == 0 {
                return;
            }
            assert!(std::time::Instant::now() < deadline, "webhooks still waiting after 20 s: {data}");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    pub fn log_kinds(&self) -> Vec<String> {
        let data =
            self.data("query($c: ID!) { transactionLog(connectionId: $c, first: 200) { edges { node { kind } } } }");
        data["transactionLog"]["edges"]
            .as_array()
            .expect("log entries")
            .iter()
            .map(|e| e["node"]["kind"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Reads the company's lists with a first Web Connector run, goes through the wizard
    /// (orders as `transaction_type`, numbered `WEB-…`, paid orders only) and adds a Shopify
    /// store; returns the store's id.
    pub fn set_up(&self, transaction_type: &str, company: &mut Company) -> String {
        assert_eq!(self.web_connector(PASSWORD).run(company).progress.last(), Some(&100));
        let c = json!({ "c": self.connection_id });
        let steps = [
            "mutation($c: ID!) { saveSyncDirection(connectionId: $c, input: { direction: TO_QUICKBOOKS, syncInventory: false }) { saved { direction } } }".to_owned(),
            format!("mutation($c: ID!) {{ saveOrderSettings(connectionId: $c, input: {{ transactionType: {transaction_type}, className: \"Web\", useStoreNameAsClass: false, termsName: null, numbering: STORE_ORDER_NUMBER, orderNumberPrefix: \"WEB-\", statusFilter: [\"paid\"] }}) {{ saved {{ transactionType }} }} }}"),
            "mutation($c: ID!) { saveCustomerSettings(connectionId: $c, input: { matching: LAST_FIRST, whenNoMatch: CREATE_CUSTOMER }) { saved { matching } } }".to_owned(),
            "mutation($c: ID!) { saveAccountSettings(connectionId: $c, input: { incomeAccount: \"Web Sales\", receivableAccount: \"Accounts Receivable\", depositAccount: \"Undeposited Funds\" }) { saved { incomeAccount } } }".to_owned(),
            if company.country == "CA" {
                // Canadian companies tax by code: Ontario's HST, and an exempt code for the rest.
                "mutation($c: ID!) { saveSalesTaxSettings(connectionId: $c, input: { mode: TAX_CODE_MAPPING, nonTaxableCode: \"E\" }) { saved { mode } } addSalesTaxMapping(connectionId: $c, input: { country: \"CA\", region: \"ON\", taxCode: \"H\" }) { id } }".to_owned()
            } else {
                "mutation($c: ID!) { saveSalesTaxSettings(connectionId: $c, input: { mode: LINE_ITEM, taxItem: \"NY State Tax\" }) { saved { mode } } }".to_owned()
            },
            "mutation($c: ID!) { saveProductSettings(connectionId: $c, input: { matchBy: ITEM_NAME, whenNoMatch: CREATE_NON_INVENTORY_ITEM }) { saved { matchBy } } }".to_owned(),
            "mutation($c: ID!) { saveNotificationSettings(connectionId: $c, input: { emails: \"books@shop.example\", dailyLogEmail: true, notifyCustomerCreated: true, notifyItemCreated: true }) { saved { emails } } }".to_owned(),
            "mutation($c: ID!) { completeSetup(connectionId: $c) { setupCompletedAt } }".to_owned(),
        ];
        for step in steps {
            let answer = self.graphql(&step, c.clone());
            assert!(answer.get("errors").is_none(), "{step}: {answer}");
        }
        let store = self.graphql("mutation($c: ID!) { addStore(connectionId: $c, input: { platform: SHOPIFY, name: \"My Shop\" }) { store { id } signingSecret } }", c);
        store["data"]["addStore"]["store"]["id"].as_str().expect("a store").to_owned()
    }

    /// Imports orders for the store (a partner's importOrders); returns the per-order results.
    pub fn import(&self, store_id: &str, orders: Vec<Value>) -> Value {
        let answer = self.graphql(
            "mutation($s: ID!, $o: [OrderInput!]!) { importOrders(storeId: $s, orders: $o) { externalId created errors { field message } order { id status } } }",
            json!({ "s": store_id, "o": orders }),
        );
        assert!(answer.get("errors").is_none(), "{answer}");
        answer["data"]["importOrders"].clone()
    }
}

/// A paid order of two hammers and gift wrap, with a discount, shipping and NY tax: 47.53.
pub fn sample_order(external_id: &str, number: &str, sku: &str) -> Value {
    json!({
        "externalId": external_id, "number": number, "placedAt": "2026-11-26T15:04:05Z", "currency": "USD",
        "email": "ann@example.com",
        "billing": { "firstName": "Ann", "lastName": "Smith", "company": "Acme & Sons", "address1": "12 Long Street", "city": "New York", "provinceCode": "NY", "zip": "10001", "countryCode": "US" },
        "shipping": { "firstName": "Ann", "lastName": "Smith", "address1": "12 Long Street", "city": "New York", "provinceCode": "NY", "zip": "10001", "countryCode": "US" },
        "lines": [
            { "sku": sku, "title": "Claw hammer", "quantity": "2", "unitPrice": "19.99", "discount": "1.00" },
            { "sku": "GIFT-WRAP", "title": "Gift wrap", "quantity": "1", "unitPrice": "5.00", "taxable": false }
        ],
        "discounts": [{ "code": "WELCOME", "amount": "4.00" }],
        "shippingLines": [{ "title": "UPS Ground", "price": "5.95" }],
        "taxLines": [{ "title": "NY State Tax", "rate": "0.04", "amount": "1.60" }],
        "paymentGateway": "Visa", "financialStatus": "paid", "total": "47.53"
    })
}
