//! Reading QuickBooks' answers: one `…Rs` per request, each with its status.

use super::dom::{XmlError, XmlNode, parse_document};

/// The status QuickBooks gives every `…Rs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseStatus {
    pub code: i32,
    /// `Info`, `Warn` or `Error`.
    pub severity: String,
    pub message: String,
}

impl ResponseStatus {
    /// 0 is success; 1 is "a query found nothing", which is an empty answer, not a failure.
    pub fn is_ok(&self) -> bool {
        self.code == 0 || self.code == 1 || self.severity.eq_ignore_ascii_case("Info")
    }
}

/// One `…Rs` element.
#[derive(Debug, Clone)]
pub struct RsElement {
    /// e.g. `AccountQueryRs`.
    pub name: String,
    pub request_id: Option<String>,
    pub status: ResponseStatus,
    pub iterator_id: Option<String>,
    pub iterator_remaining: Option<u32>,
    /// How many records matched, when asked for with `metaData`.
    pub ret_count: Option<u32>,
    pub node: XmlNode,
}

impl RsElement {
    /// The `…Ret` children.
    pub fn rets(&self) -> impl Iterator<Item = &XmlNode> {
        self.node.children.iter().filter(|c| c.name.ends_with("Ret"))
    }
}

/// A whole qbXML answer.
#[derive(Debug, Clone)]
pub struct QbxmlResponse {
    pub responses: Vec<RsElement>,
}

impl QbxmlResponse {
    pub fn parse(xml: &str) -> Result<Self, XmlError> {
        let root = parse_document(xml)?;
        if root.name != "QBXML" {
            return Err(XmlError::Malformed(format!("expected <QBXML>, found <{}>", root.name)));
        }
        // The tree is taken apart, never copied: answers for long lists run to megabytes.
        let set = root
            .children
            .into_iter()
            .find(|c| c.name == "QBXMLMsgsRs")
            .ok_or_else(|| XmlError::Malformed("the answer has no QBXMLMsgsRs".into()))?;
        let responses = set
            .children
            .into_iter()
            .filter(|c| c.name.ends_with("Rs"))
            .map(|rs| RsElement {
                name: rs.name.to_string(),
                request_id: rs.attribute("requestID").map(String::from),
                status: ResponseStatus {
                    code: rs.attribute("statusCode").and_then(|c| c.trim().parse().ok()).unwrap_or(-1),
                    severity: rs.attribute("statusSeverity").unwrap_or("Error").to_owned(),
                    message: rs.attribute("statusMessage").unwrap_or("").to_owned(),
                },
                iterator_id: rs.attribute("iteratorID").map(String::from),
                iterator_remaining: rs.attribute("iteratorRemainingCount").and_then(|c| c.trim().parse().ok()),
                ret_count: rs.attribute("retCount").and_then(|c| c.trim().parse().ok()),
                node: rs,
            })
            .collect();
        Ok(Self { responses })
    }

    pub fn by_request_id(&self, id: &str) -> Option<&RsElement> {
        self.responses.iter().find(|rs| rs.request_id.as_deref() == Some(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str) -> String {
        let path = format!("{}/../../shared/qb/samples/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn a_real_iterator_answer_is_read() {
        let answer = QbxmlResponse::parse(&sample("qbxml-gem_CustomerQueryRs_iterator.xml")).unwrap();
        let rs = &answer.responses[0];
        assert_eq!(rs.name, "CustomerQueryRs");
        assert_eq!(rs.request_id.as_deref(), Some("1"));
        assert_eq!(rs.iterator_remaining, Some(18));
        assert_eq!(rs.iterator_id.as_deref(), Some("{eb05f701-e727-472f-8ade-6753c4f67a46}"));
        assert_eq!(rs.rets().next().and_then(|r| r.child_text("FullName")), Some("10th Customer"));
        assert!(rs.status.is_ok());
    }

    #[test]
    fn error_and_warning_statuses_are_kept() {
        let error = QbxmlResponse::parse(&sample("qbwc-gem_CustomerQueryRs_status3120_error.xml")).unwrap();
        assert_eq!(error.responses[0].status.code, 3120);
        assert!(!error.responses[0].status.is_ok());
        let warn = QbxmlResponse::parse(&sample("qbwc-gem_CustomerQueryRs_status500_warn.xml")).unwrap();
        assert_eq!(warn.responses[0].status.code, 500);
        assert_eq!(warn.responses[0].status.severity, "Warn");
    }

    #[test]
    fn something_other_than_qbxml_is_an_error() {
        assert!(QbxmlResponse::parse("<html><body>oops</body></html>").is_err());
        assert!(QbxmlResponse::parse("not xml at all").is_err());
    }
}
