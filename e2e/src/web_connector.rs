//! A QuickBooks Web Connector that speaks real SOAP over HTTP to the running server, calling
//! the methods in the order the real one does and handing requests to a [`Company`].

use crate::quickbooks::Company;

const NS: &str = "http://developer.intuit.com/";

pub struct WebConnector {
    pub endpoint: String,
    pub user_name: String,
    pub password: String,
    /// An async client driven by a runtime on the calling thread: the blocking client would
    /// hand every call to a thread of its own and back, a cost the benchmarks would count as
    /// the server's.
    client: reqwest::Client,
    runtime: tokio::runtime::Runtime,
    /// Further replicas of the server, called in turn with `endpoint` (a load balancer with
    /// no sticky routing).
    others: Vec<String>,
    calls: std::cell::Cell<usize>,
    /// Whether a server that stops answering (killed) ends the run instead of failing it.
    tolerate_gone: bool,
    gone: std::cell::Cell<bool>,
}

/// What one run looked like from the Web Connector's side.
#[derive(Debug, Default, Clone)]
pub struct RunReport {
    /// `authenticate`'s answer: ticket, status, and any hints.
    pub authenticate: Vec<String>,
    pub progress: Vec<i32>,
    pub last_error: Option<String>,
    pub close_message: Option<String>,
    /// Every SOAP call and how long the server took to answer it, as the Web Connector saw it.
    pub calls: Vec<(&'static str, std::time::Duration)>,
}

impl RunReport {
    pub fn status(&self) -> &str {
        self.authenticate.get(1).map(String::as_str).unwrap_or("")
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

impl WebConnector {
    pub fn new(base_url: &str, user_name: &str, password: &str) -> Self {
        Self {
            endpoint: format!("{base_url}/qbwc"),
            user_name: user_name.to_owned(),
            password: password.to_owned(),
            // The blocking client's default: a server that hangs fails the test, not the suite.
            client: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(30))
                .build()
                .expect("an HTTP client"),
            runtime: tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime"),
            others: Vec::new(),
            calls: std::cell::Cell::new(0),
            tolerate_gone: false,
            gone: std::cell::Cell::new(false),
        }
    }

    /// A Web Connector whose run simply ends when the server stops answering mid-run, as the
    /// real one does when the server is killed; [`WebConnector::gone`] tells.
    pub fn tolerating_a_dead_server(mut self) -> Self {
        self.tolerate_gone = true;
        self
    }

    /// Whether the server stopped answering during the run.
    pub fn gone(&self) -> bool {
        self.gone.get()
    }

    /// Spreads the calls over this server and another replica, one call each in turn.
    pub fn alternating_with(mut self, other_base_url: &str) -> Self {
        self.others.push(format!("{other_base_url}/qbwc"));
        self
    }

    /// Posts one call the way the Web Connector's .NET client does; returns status and body.
    pub fn post(&self, method: &str, params: &[(&str, &str)]) -> (u16, String) {
        let fields: String = params.iter().map(|(k, v)| format!("<{k}>{}</{k}>", escape(v))).collect();
        let envelope = format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" \
xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\"><soap:Body>\
<{method} xmlns=\"{NS}\">{fields}</{method}></soap:Body></soap:Envelope>"
        );
        self.post_raw(&format!("\"{NS}{method}\""), envelope)
    }

    pub fn post_raw(&self, soap_action: &str, body: String) -> (u16, String) {
        let call = self.calls.replace(self.calls.get() + 1);
        let endpoint = match call % (self.others.len() + 1) {
            0 => &self.endpoint,
            n => &self.others[n - 1],
        };
        let request = self
            .client
            .post(endpoint)
            .header("Content-Type", "text/xml; charset=utf-8")
            .header("SOAPAction", soap_action)
            .body(body);
        let sent = self.runtime.block_on(async {
            // The runtime only runs during a call: let it first see what happened to its idle
            // keep-alive connections meanwhile (a restarted server closed them), so the call
            // goes out on a live one, as it would from the real Web Connector.
            for _ in 0..2 {
                tokio::task::yield_now().await;
            }
            let response = request.send().await?;
            let status = response.status().as_u16();
            let content_type =
                response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
            Ok::<_, reqwest::Error>((status, content_type, response.text().await))
        });
        let (status, content_type, text) = match sent {
            Ok(answer) => answer,
            Err(_) if self.tolerate_gone => {
                self.gone.set(true);
                return (0, String::new());
            }
            Err(err) => panic!("the server does not answer: {err}"),
        };
        assert_eq!(content_type, "text/xml; charset=utf-8", "every answer is SOAP, even an error");
        match text {
            Ok(text) => (status, text),
            Err(_) if self.tolerate_gone => {
                self.gone.set(true);
                (0, String::new())
            }
            Err(err) => panic!("the answer was cut off: {err}"),
        }
    }

    /// Calls a method and returns the text of each `<…Result>` child (one value, or the
    /// `<string>` items of authenticate), checking the answer is namespace-qualified.
    pub fn call(&self, method: &str, params: &[(&str, &str)]) -> Vec<String> {
        let (status, body) = self.post(method, params);
        if self.gone.get() {
            return Vec::new();
        }
        assert_eq!(status, 200, "{method} failed: {body}");
        let document = roxmltree::Document::parse(&body).expect("the answer is well-formed XML");
        let response = document
            .descendants()
            .find(|n| n.tag_name().name() == format!("{method}Response"))
            .unwrap_or_else(|| panic!("no {method}Response in {body}"));
        assert_eq!(response.tag_name().namespace(), Some(NS), "{method}Response is in Intuit's namespace");
        let result = response
            .children()
            .find(|n| n.tag_name().name() == format!("{method}Result"))
            .unwrap_or_else(|| panic!("no {method}Result in {body}"));
        assert_eq!(result.tag_name().namespace(), Some(NS));
        let strings: Vec<String> = result
            .children()
            .filter(|n| n.has_tag_name((NS, "string")))
            .map(|n| n.text().unwrap_or("").to_owned())
            .collect();
        if method == "authenticate" { strings } else { vec![result.text().unwrap_or("").to_owned()] }
    }

    /// One sendRequestXML of a session, as the Web Connector sends it to a US company on
    /// qbXML 13.0; `hcp` is the company's HCP response on the first call, empty after.
    pub fn send_request(&self, ticket: &str, hcp: &str) -> String {
        self.one(
            "sendRequestXML",
            &[
                ("ticket", ticket),
                ("strHCPResponse", hcp),
                ("strCompanyFileName", ""),
                ("qbXMLCountry", "US"),
                ("qbXMLMajorVers", "13"),
                ("qbXMLMinorVers", "0"),
            ],
        )
    }

    fn one(&self, method: &str, params: &[(&str, &str)]) -> String {
        self.call(method, params).into_iter().next().unwrap_or_default()
    }

    /// One scheduled run against `company`, as the real Web Connector does it.
    pub fn run(&self, company: &mut Company) -> RunReport {
        self.run_with(company, |_, _| Step::Continue)
    }

    /// A run that `interrupt` may cut short after any sendRequestXML (given the round number
    /// and the request): [`Step::DropAfterSend`] vanishes without answering, as when the Web
    /// Connector is killed or the network drops.
    pub fn run_with(&self, company: &mut Company, mut interrupt: impl FnMut(usize, &str) -> Step) -> RunReport {
        let mut report = RunReport::default();
        let version = self.one("serverVersion", &[]);
        if self.gone.get() {
            return report;
        }
        assert!(!version.is_empty());
        assert_eq!(self.one("clientVersion", &[("strVersion", "2.3.0.215")]), "");
        let timed = std::time::Instant::now();
        report.authenticate =
            self.call("authenticate", &[("strUserName", &self.user_name), ("strPassword", &self.password)]);
        report.calls.push(("authenticate", timed.elapsed()));
        if self.gone.get() {
            return report;
        }
        assert!(
            report.authenticate.len() >= 2,
            "authenticate always answers at least two strings: {:?}",
            report.authenticate
        );
        if report.status() != "" {
            return report;
        }
        let ticket = report.authenticate[0].clone();
        let hcp = company.hcp_response();
        // The request processor reports the newest version the company's QuickBooks knows.
        let newest = company
            .supported_versions
            .iter()
            .filter_map(|v| v.split_once('.'))
            .filter_map(|(a, b)| Some((a.parse::<u16>().ok()?, b.parse::<u16>().ok()?)))
            .max()
            .unwrap_or((13, 0));
        let (major, minor) = (newest.0.to_string(), newest.1.to_string());
        let (major, minor) = (major.as_str(), minor.as_str());
        for round in 0.. {
            assert!(round < 20_000, "the session never finished");
            let first = round == 0;
            let timed = std::time::Instant::now();
            let request = self.one(
                "sendRequestXML",
                &[
                    ("ticket", &ticket),
                    ("strHCPResponse", if first { &hcp } else { "" }),
                    (
                        "strCompanyFileName",
                        "C:\\Users\\Public\\Documents\\Intuit\\QuickBooks\\Company Files\\Sample.QBW",
                    ),
                    ("qbXMLCountry", &company.country.clone()),
                    ("qbXMLMajorVers", major),
                    ("qbXMLMinorVers", minor),
                ],
            );
            report.calls.push(("sendRequestXML", timed.elapsed()));
            if self.gone.get() {
                return report;
            }
            if request.is_empty() {
                report.last_error = Some(self.one("getLastError", &[("ticket", &ticket)]));
                break;
            }
            let answer = company.execute(&request);
            if interrupt(round, &request) == Step::DropAfterSend {
                return report;
            }
            let timed = std::time::Instant::now();
            let percent = self.one(
                "receiveResponseXML",
                &[("ticket", &ticket), ("response", &answer), ("hresult", ""), ("message", "")],
            );
            if self.gone.get() {
                return report;
            }
            let percent: i32 = percent.parse().expect("receiveResponseXML answers a number");
            report.calls.push(("receiveResponseXML", timed.elapsed()));
            report.progress.push(percent);
            if percent < 0 {
                report.last_error = Some(self.one("getLastError", &[("ticket", &ticket)]));
                break;
            }
            if percent >= 100 {
                break;
            }
        }
        let timed = std::time::Instant::now();
        report.close_message = Some(self.one("closeConnection", &[("ticket", &ticket)]));
        report.calls.push(("closeConnection", timed.elapsed()));
        report
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Continue,
    DropAfterSend,
}
