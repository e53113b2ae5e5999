//! The Web Connector's SOAP 1.1 messages: read leniently (any envelope prefix, the call found
//! by the body element's local name, parameter names in any case), written exactly
//! (namespace-qualified results, as the Web Connector's .NET client expects).

use quick_xml::escape::escape;

use crate::qbxml::{XmlNode, parse_document};

pub const INTUIT_NS: &str = "http://developer.intuit.com/";

/// One call from the Web Connector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WcCall {
    ServerVersion,
    ClientVersion {
        version: String,
    },
    Authenticate {
        user_name: String,
        password: String,
    },
    SendRequestXml {
        ticket: String,
        hcp_response: String,
        company_file: String,
        country: String,
        major: Option<u16>,
        minor: Option<u16>,
    },
    ReceiveResponseXml {
        ticket: String,
        response: String,
        hresult: String,
        message: String,
    },
    ConnectionError {
        ticket: String,
        hresult: String,
        message: String,
    },
    GetLastError {
        ticket: String,
    },
    CloseConnection {
        ticket: String,
    },
}

impl WcCall {
    /// The ticket of a call that belongs to a session; empty for the calls made before one.
    pub fn ticket(&self) -> &str {
        match self {
            WcCall::SendRequestXml { ticket, .. }
            | WcCall::ReceiveResponseXml { ticket, .. }
            | WcCall::ConnectionError { ticket, .. }
            | WcCall::GetLastError { ticket }
            | WcCall::CloseConnection { ticket } => ticket.trim(),
            WcCall::ServerVersion | WcCall::ClientVersion { .. } | WcCall::Authenticate { .. } => "",
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SoapError {
    #[error("the request is not a SOAP envelope: {0}")]
    Malformed(String),
    #[error("the SOAP envelope has no body")]
    NoBody,
    #[error("`{0}` is not a Web Connector method")]
    UnknownMethod(String),
}

fn param(call: &XmlNode, name: &str) -> String {
    call.children.iter().find(|c| c.name.eq_ignore_ascii_case(name)).map(|c| c.text.to_string()).unwrap_or_default()
}

/// Reads a SOAP request body.
pub fn parse_call(body: &str) -> Result<WcCall, SoapError> {
    let envelope = parse_document(body).map_err(|e| SoapError::Malformed(e.to_string()))?;
    if envelope.name != "Envelope" {
        return Err(SoapError::Malformed(format!("expected an Envelope, found <{}>", envelope.name)));
    }
    let soap_body = envelope.child("Body").ok_or(SoapError::NoBody)?;
    let call = soap_body.children.first().ok_or(SoapError::NoBody)?;
    let ticket = || param(call, "ticket");
    Ok(match call.name.as_str() {
        "serverVersion" => WcCall::ServerVersion,
        "clientVersion" => WcCall::ClientVersion { version: param(call, "strVersion") },
        "authenticate" => {
            WcCall::Authenticate { user_name: param(call, "strUserName"), password: param(call, "strPassword") }
        }
        "sendRequestXML" => WcCall::SendRequestXml {
            ticket: ticket(),
            hcp_response: param(call, "strHCPResponse"),
            company_file: param(call, "strCompanyFileName"),
            country: param(call, "qbXMLCountry"),
            major: param(call, "qbXMLMajorVers").trim().parse().ok(),
            minor: param(call, "qbXMLMinorVers").trim().parse().ok(),
        },
        "receiveResponseXML" => WcCall::ReceiveResponseXml {
            ticket: ticket(),
            response: param(call, "response"),
            hresult: param(call, "hresult").trim().to_owned(),
            message: param(call, "message"),
        },
        "connectionError" => WcCall::ConnectionError {
            ticket: ticket(),
            hresult: param(call, "hresult").trim().to_owned(),
            message: param(call, "message"),
        },
        "getLastError" => WcCall::GetLastError { ticket: ticket() },
        "closeConnection" => WcCall::CloseConnection { ticket: ticket() },
        other => return Err(SoapError::UnknownMethod(other.to_owned())),
    })
}

/// An answer to one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WcReply {
    Text { method: &'static str, value: String },
    Number { method: &'static str, value: i32 },
    Strings { method: &'static str, values: Vec<String> },
}

fn envelope(inner: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\
<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" \
xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\">\
<soap:Body>{inner}</soap:Body></soap:Envelope>"
    )
}

/// Writes the SOAP response envelope.
pub fn render(reply: &WcReply) -> String {
    let (method, result) = match reply {
        WcReply::Text { method, value } => (*method, escape(value.as_str()).into_owned()),
        WcReply::Number { method, value } => (*method, value.to_string()),
        WcReply::Strings { method, values } => {
            // Every element is written, empty ones too: the Web Connector needs the second.
            (*method, values.iter().map(|v| format!("<string>{}</string>", escape(v.as_str()))).collect())
        }
    };
    envelope(&format!(
        "<{method}Response xmlns=\"{INTUIT_NS}\"><{method}Result>{result}</{method}Result></{method}Response>"
    ))
}

/// A SOAP 1.1 fault: `soap:Client` for a bad request, `soap:Server` for our own failure.
pub fn fault(client_error: bool, message: &str) -> String {
    let code = if client_error { "soap:Client" } else { "soap:Server" };
    envelope(&format!(
        "<soap:Fault><faultcode>{code}</faultcode><faultstring>{}</faultstring></soap:Fault>",
        escape(message)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str) -> String {
        std::fs::read_to_string(format!("{}/../../shared/qb/samples/constructed/{name}", env!("CARGO_MANIFEST_DIR")))
            .unwrap()
    }

    #[test]
    fn every_constructed_sample_request_is_understood() {
        assert_eq!(parse_call(&sample("01_serverVersion.req.xml")).unwrap(), WcCall::ServerVersion);
        assert!(
            matches!(parse_call(&sample("02_clientVersion.req.xml")).unwrap(), WcCall::ClientVersion { version } if !version.is_empty())
        );
        assert!(
            matches!(parse_call(&sample("03_authenticate.req.xml")).unwrap(), WcCall::Authenticate { user_name, .. } if !user_name.is_empty())
        );
        match parse_call(&sample("04_sendRequestXML.req_first.xml")).unwrap() {
            WcCall::SendRequestXml { hcp_response, country, major, .. } => {
                assert!(hcp_response.starts_with("<?xml"), "the HCP answer is unescaped: {hcp_response}");
                assert_eq!(country, "US");
                assert_eq!(major, Some(16));
            }
            other => panic!("{other:?}"),
        }
        match parse_call(&sample("05_receiveResponseXML.req_hresult.xml")).unwrap() {
            WcCall::ReceiveResponseXml { hresult, response, .. } => {
                assert!(hresult.starts_with("0x8004"), "{hresult}");
                assert!(response.is_empty());
            }
            other => panic!("{other:?}"),
        }
        assert!(
            matches!(parse_call(&sample("05_receiveResponseXML.req_ok.xml")).unwrap(), WcCall::ReceiveResponseXml { hresult, .. } if hresult.is_empty())
        );
        assert!(matches!(parse_call(&sample("06_getLastError.req.xml")).unwrap(), WcCall::GetLastError { .. }));
        assert!(matches!(parse_call(&sample("07_connectionError.req.xml")).unwrap(), WcCall::ConnectionError { .. }));
        assert!(matches!(parse_call(&sample("08_closeConnection.req.xml")).unwrap(), WcCall::CloseConnection { .. }));
    }

    #[test]
    fn any_envelope_prefix_and_parameter_case_is_accepted() {
        let body = r#"<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Header/><SOAP-ENV:Body><ns1:authenticate xmlns:ns1="http://developer.intuit.com/"><ns1:strusername>lb-1</ns1:strusername><ns1:strPassword>p&amp;w</ns1:strPassword></ns1:authenticate></SOAP-ENV:Body></SOAP-ENV:Envelope>"#;
        assert_eq!(
            parse_call(body).unwrap(),
            WcCall::Authenticate { user_name: "lb-1".into(), password: "p&w".into() }
        );
    }

    #[test]
    fn malformed_requests_are_errors_not_panics() {
        assert!(matches!(parse_call("not xml"), Err(SoapError::Malformed(_))));
        assert!(matches!(parse_call("<Envelope/>"), Err(SoapError::NoBody)));
        assert!(matches!(parse_call("<html><body/></html>"), Err(SoapError::Malformed(_))));
        let unknown = r#"<Envelope><Body><dropTables/></Body></Envelope>"#;
        assert_eq!(parse_call(unknown), Err(SoapError::UnknownMethod("dropTables".into())));
        let nul = sample("03_authenticate.req.xml").replacen("</strUserName>", "\0</strUserName>", 1);
        assert!(nul.contains('\0'));
        assert!(matches!(parse_call(&nul), Err(SoapError::Malformed(why)) if why.contains("NUL")));
        let referenced = sample("03_authenticate.req.xml").replacen("</strUserName>", "&#0;</strUserName>", 1);
        assert!(matches!(parse_call(&referenced), Err(SoapError::Malformed(_))), "&#0; names no XML character");
    }

    #[test]
    fn answers_are_namespace_qualified_and_escaped() {
        let auth = render(&WcReply::Strings { method: "authenticate", values: vec!["t-1".into(), String::new()] });
        assert!(auth.contains("<authenticateResponse xmlns=\"http://developer.intuit.com/\"><authenticateResult><string>t-1</string><string></string></authenticateResult>"));
        let request =
            render(&WcReply::Text { method: "sendRequestXML", value: "<?xml version=\"1.0\"?><QBXML/>".into() });
        assert!(request.contains(
            "<sendRequestXMLResult>&lt;?xml version=&quot;1.0&quot;?&gt;&lt;QBXML/&gt;</sendRequestXMLResult>"
        ));
        let back = parse_document(&request).unwrap();
        assert_eq!(
            back.path(&["Body", "sendRequestXMLResponse", "sendRequestXMLResult"]).unwrap().text,
            "<?xml version=\"1.0\"?><QBXML/>"
        );
        assert!(fault(true, "bad <input>").contains("<faultstring>bad &lt;input&gt;</faultstring>"));
    }
}
