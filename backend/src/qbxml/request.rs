//! Writing qbXML request documents.

use std::fmt::{self, Write};

use quick_xml::escape::escape;

/// A qbXML specification version, e.g. 13.0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct QbxmlVersion {
    pub major: u16,
    pub minor: u16,
}

impl QbxmlVersion {
    /// The newest version Ledgerbridge writes.
    pub const NEWEST: QbxmlVersion = QbxmlVersion { major: 16, minor: 0 };
    /// What every QuickBooks since 2014 understands; used when QuickBooks does not say.
    pub const BASELINE: QbxmlVersion = QbxmlVersion { major: 13, minor: 0 };

    /// Parses "13.0" (or "13"); QuickBooks' old Canadian dialect names ("CA3.0") are not versions.
    pub fn parse(text: &str) -> Option<Self> {
        let (major, minor) = text.trim().split_once('.').unwrap_or((text.trim(), "0"));
        Some(Self { major: major.parse().ok()?, minor: minor.parse().ok()? })
    }

    /// The version to write in: the newest both sides know.
    pub fn negotiate(supported: impl IntoIterator<Item = QbxmlVersion>) -> Self {
        supported.into_iter().filter(|v| *v <= Self::NEWEST).max().unwrap_or(Self::BASELINE)
    }
}

impl fmt::Display for QbxmlVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnError {
    StopOnError,
    ContinueOnError,
}

/// One message set, built request by request.
#[derive(Debug, Clone)]
pub struct RequestDocument {
    version: QbxmlVersion,
    on_error: OnError,
    body: String,
}

impl RequestDocument {
    pub fn new(version: QbxmlVersion, on_error: OnError) -> Self {
        Self { version, on_error, body: String::new() }
    }

    /// Appends one `…Rq` element, already written.
    pub fn push(&mut self, request: &str) {
        self.body.push_str(request);
    }

    pub fn is_empty(&self) -> bool {
        self.body.is_empty()
    }

    /// The whole document: the XML declaration, then the `qbxml` processing instruction that
    /// QuickBooks needs (schemas ignore it), then the message set.
    pub fn finish(self) -> String {
        let on_error = match self.on_error {
            OnError::StopOnError => "stopOnError",
            OnError::ContinueOnError => "continueOnError",
        };
        format!(
            "<?xml version=\"1.0\"?>\n<?qbxml version=\"{}\"?>\n<QBXML><QBXMLMsgsRq onError=\"{on_error}\">{}</QBXMLMsgsRq></QBXML>",
            self.version, self.body
        )
    }
}

/// Writes `<name attr="…">children</name>` with attribute values escaped; `children` is
/// already-written XML.
pub fn element(name: &str, attributes: &[(&str, &str)], children: &str) -> String {
    let mut out = String::with_capacity(name.len() * 2 + children.len() + 16);
    let _ = write!(out, "<{name}");
    for (key, value) in attributes {
        let _ = write!(out, " {key}=\"{}\"", escape(*value));
    }
    if children.is_empty() {
        out.push_str("/>");
    } else {
        let _ = write!(out, ">{children}</{name}>");
    }
    out
}

/// Writes `<name>text</name>` with the text escaped.
pub fn text_element(name: &str, text: &str) -> String {
    format!("<{name}>{}</{name}>", escape(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_is_the_newest_both_sides_know() {
        let supported = ["1.0", "12.0", "13.0"].iter().filter_map(|v| QbxmlVersion::parse(v));
        assert_eq!(QbxmlVersion::negotiate(supported).to_string(), "13.0");
        let newer = ["13.0", "16.0", "17.0"].iter().filter_map(|v| QbxmlVersion::parse(v));
        assert_eq!(QbxmlVersion::negotiate(newer).to_string(), "16.0");
        assert_eq!(QbxmlVersion::negotiate([]).to_string(), "13.0");
        assert_eq!(QbxmlVersion::parse("CA3.0"), None);
    }

    #[test]
    fn a_document_starts_with_the_declaration_then_the_qbxml_instruction() {
        let mut doc = RequestDocument::new(QbxmlVersion::BASELINE, OnError::ContinueOnError);
        doc.push(&element("ClassQueryRq", &[("requestID", "a&b")], &text_element("ActiveStatus", "All")));
        let text = doc.finish();
        assert!(text.starts_with("<?xml version=\"1.0\"?>\n<?qbxml version=\"13.0\"?>\n<QBXML>"));
        assert!(text.contains("requestID=\"a&amp;b\""));
        assert!(text.contains("<QBXMLMsgsRq onError=\"continueOnError\">"));
    }
}
