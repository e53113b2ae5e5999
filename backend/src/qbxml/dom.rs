//! A small element tree read with quick-xml. qbXML answers are data, not documents: elements
//! with text, no mixed content. DTDs and entities beyond XML's five are never expanded, so
//! "billion laughs" input cannot blow up; depth and size are bounded.

use compact_str::CompactString;
use quick_xml::Reader;
use quick_xml::events::Event;

/// Deeper than any qbXML answer nests (about 8 levels); deeper input is refused, not followed.
const MAX_DEPTH: usize = 64;

/// Names and most values in qbXML are short: held inline (up to 24 bytes), a long answer is
/// read with a few allocations per record instead of one per element and one per value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct XmlNode {
    /// Local name (any namespace prefix dropped).
    pub name: CompactString,
    pub attributes: Vec<(CompactString, String)>,
    pub text: CompactString,
    pub children: Vec<XmlNode>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum XmlError {
    #[error("the XML is not well-formed: {0}")]
    Malformed(String),
    #[error("the XML nests deeper than {MAX_DEPTH} levels")]
    TooDeep,
    #[error("the XML has no root element")]
    Empty,
}

impl XmlNode {
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn child(&self, name: &str) -> Option<&XmlNode> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a XmlNode> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The trimmed text of a direct child, if present and not empty.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.trim()).filter(|t| !t.is_empty())
    }

    /// Follows a path of child names.
    pub fn path(&self, names: &[&str]) -> Option<&XmlNode> {
        names.iter().try_fold(self, |node, name| node.child(name))
    }
}

fn open(start: &quick_xml::events::BytesStart<'_>) -> Result<XmlNode, XmlError> {
    let mut attributes = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|e| XmlError::Malformed(e.to_string()))?;
        let value = attribute
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| XmlError::Malformed(e.to_string()))?
            .into_owned();
        attributes.push((CompactString::from(attribute.key.local_name().as_ref()), value));
    }
    Ok(XmlNode { name: CompactString::from(start.local_name().as_ref()), attributes, ..XmlNode::default() })
}

/// Appends text, with line ends normalized to `\n` as XML requires.
fn push_text(target: &mut CompactString, text: &str) {
    if text.contains('\r') {
        target.push_str(&text.replace("\r\n", "\n").replace('\r', "\n"));
    } else {
        target.push_str(text);
    }
}

/// A parent with children has several (a record's fields, a list's records): starting at
/// eight saves two of the three reallocations the usual four-first growth costs a record.
fn adopt(parent: &mut XmlNode, child: XmlNode) {
    if parent.children.capacity() == 0 {
        parent.children.reserve_exact(8);
    }
    parent.children.push(child);
}

/// Parses a whole document into its root element.
pub fn parse_document(xml: &str) -> Result<XmlNode, XmlError> {
    // XML allows it nowhere, quick-xml does not look for it, and PostgreSQL cannot store it.
    if xml.contains('\0') {
        return Err(XmlError::Malformed("the document holds a NUL character, which XML does not allow".into()));
    }
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<XmlNode> = Vec::new();
    let mut root: Option<XmlNode> = None;
    loop {
        let event = reader.read_event().map_err(|e| XmlError::Malformed(e.to_string()))?;
        match event {
            Event::Start(start) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(XmlError::TooDeep);
                }
                if root.is_some() {
                    return Err(XmlError::Malformed("content after the root element".into()));
                }
                stack.push(open(&start)?);
            }
            Event::Empty(start) => {
                let node = open(&start)?;
                match stack.last_mut() {
                    Some(parent) => adopt(parent, node),
                    None if root.is_none() => root = Some(node),
                    None => return Err(XmlError::Malformed("content after the root element".into())),
                }
            }
            Event::End(_) => {
                let node = stack.pop().ok_or_else(|| XmlError::Malformed("unbalanced end tag".into()))?;
                match stack.last_mut() {
                    Some(parent) => adopt(parent, node),
                    None => root = Some(node),
                }
            }
            Event::Text(text) => {
                if let Some(current) = stack.last_mut() {
                    // References arrive as their own events, so text needs no unescaping here.
                    push_text(&mut current.text, &text);
                }
            }
            Event::CData(data) => {
                if let Some(current) = stack.last_mut() {
                    push_text(&mut current.text, &data);
                }
            }
            Event::GeneralRef(reference) => {
                if let Some(current) = stack.last_mut() {
                    current.text.push(resolve_reference(&reference.into_inner())?);
                }
            }
            Event::DocType(_) => return Err(XmlError::Malformed("document type declarations are not accepted".into())),
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(XmlError::Malformed("the document ends inside an element".into()));
    }
    root.ok_or(XmlError::Empty)
}

/// The five predefined entities and character references; anything else is refused.
fn resolve_reference(name: &str) -> Result<char, XmlError> {
    let predefined = match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "apos" => Some('\''),
        "quot" => Some('"'),
        _ => None,
    };
    if let Some(c) = predefined {
        return Ok(c);
    }
    let code = if let Some(hex) = name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
        u32::from_str_radix(hex, 16).ok()
    } else if let Some(dec) = name.strip_prefix('#') {
        dec.parse().ok()
    } else {
        None
    };
    match code.and_then(char::from_u32) {
        Some(c) if is_xml_char(c) => Ok(c),
        Some(_) => Err(XmlError::Malformed(format!("&{name}; is a character XML does not allow"))),
        None => Err(XmlError::Malformed(format!("unknown entity &{name};"))),
    }
}

/// XML 1.0's characters: a reference to any other (NUL above all, which PostgreSQL cannot
/// store either) is not well-formed.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_attributes_and_escaped_text_are_read() {
        let root = parse_document(
            r#"<?xml version="1.0" ?><a:Root xmlns:a="urn:x" id="1"><Name>Ben &amp; Jerry&#39;s &#x263A;</Name><Empty/></a:Root>"#,
        )
        .unwrap();
        assert_eq!(root.name, "Root");
        assert_eq!(root.attribute("id"), Some("1"));
        assert_eq!(root.child_text("Name"), Some("Ben & Jerry's ☺"));
        assert!(root.child("Empty").is_some());
    }

    #[test]
    fn line_ends_are_normalized_and_cdata_is_text() {
        let root = parse_document("<r><a>one\r\ntwo\rthree</a><b><![CDATA[x < y]]></b><c>Zoë</c></r>").unwrap();
        assert_eq!(root.child_text("a"), Some("one\ntwo\nthree"));
        assert_eq!(root.child_text("b"), Some("x < y"));
        assert_eq!(root.child_text("c"), Some("Zoë"));
    }

    #[test]
    fn entity_declarations_are_refused_not_expanded() {
        let laughs =
            r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><r>&lol2;</r>"#;
        assert!(matches!(parse_document(laughs), Err(XmlError::Malformed(_))));
        assert!(matches!(parse_document("<r>&unknown;</r>"), Err(XmlError::Malformed(_))));
    }

    #[test]
    fn deep_nesting_and_broken_documents_are_errors() {
        let deep = "<a>".repeat(100) + &"</a>".repeat(100);
        assert_eq!(parse_document(&deep), Err(XmlError::TooDeep));
        assert!(parse_document("<a><b></a>").is_err());
        assert!(parse_document("<a>").is_err());
        assert_eq!(parse_document(""), Err(XmlError::Empty));
        assert!(parse_document("<a/><b/>").is_err());
    }

    #[test]
    fn characters_xml_does_not_allow_are_refused_raw_or_referenced() {
        assert!(parse_document("<a>x\0y</a>").is_err());
        for reference in ["&#0;", "&#x0;", "&#1;", "&#xFFFE;"] {
            let refused = parse_document(&format!("<a>{reference}</a>"));
            assert!(
                matches!(&refused, Err(XmlError::Malformed(why)) if why.contains("does not allow")),
                "{reference}: {refused:?}"
            );
        }
        assert_eq!(
            parse_document("<a>&#9;&#xA;&#x1F600;</a>").map(|a| a.text.to_string()),
            Ok("\t\n\u{1F600}".to_owned())
        );
    }
}
