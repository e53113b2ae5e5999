use std::fmt;

/// QuickBooks' limit for a list name (customer, item, class, ...), per name level.
pub const QB_NAME_MAX: usize = 41;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum QbTextError {
    #[error("must not be empty")]
    Empty,
    #[error("is {len} characters long; QuickBooks allows at most {max}")]
    TooLong { len: usize, max: usize },
    #[error("contains `{0}`, which QuickBooks cannot store (only Latin-1 characters are allowed)")]
    NotLatin1(char),
    #[error("contains `:`, which QuickBooks reserves to separate a parent from a sub-item")]
    Colon,
}

/// One level of a QuickBooks list name: 1..=41 Latin-1 characters, no colon.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QbName(String);

impl QbName {
    pub fn parse(text: &str) -> Result<Self, QbTextError> {
        let text = text.trim();
        check_latin1(text)?;
        if text.is_empty() {
            return Err(QbTextError::Empty);
        }
        if text.contains(':') {
            return Err(QbTextError::Colon);
        }
        let len = text.chars().count();
        if len > QB_NAME_MAX {
            return Err(QbTextError::TooLong { len, max: QB_NAME_MAX });
        }
        Ok(Self(text.to_owned()))
    }

    /// Builds a name from arbitrary store text the predictable way: characters outside
    /// Latin-1 are transliterated (see [`to_latin1`]), colons become dashes, runs of spaces
    /// collapse, and the result is cut to 41 characters (trailing spaces and commas dropped
    /// after the cut).
    pub fn fit(text: &str) -> Option<Self> {
        let cleaned: String = to_latin1(text).chars().map(|c| if c == ':' { '-' } else { c }).collect();
        let collapsed = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
        let cut: String = collapsed.chars().take(QB_NAME_MAX).collect();
        let trimmed = cut.trim_end_matches([' ', ',']);
        (!trimmed.is_empty()).then(|| Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for QbName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Store text as QuickBooks Desktop can store it (ISO-8859-1): Latin-1 characters stay as
/// they are, others are transliterated (`Łódź` → `Lódz`, `€` → `EUR`, `“…”` → `"..."`,
/// `東京` → `Dong Jing`), and what has no transliteration, or is a control character, becomes
/// `?`. Orders are never refused for a name written in another script.
pub fn to_latin1(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.push('?');
        } else if (c as u32) <= 0xFF {
            out.push(c);
        } else {
            match deunicode::deunicode_char(c).filter(|t| !t.is_empty() && t.chars().all(|t| (t as u32) <= 0x7F)) {
                Some(ascii) => {
                    // Transliterations of CJK syllables end in a space to separate them.
                    if out.ends_with(' ') && ascii.starts_with(' ') {
                        out.push_str(ascii.trim_start());
                    } else {
                        out.push_str(ascii);
                    }
                }
                None => out.push('?'),
            }
        }
    }
    out
}

/// QuickBooks Desktop stores text as ISO-8859-1.
pub(crate) fn check_latin1(text: &str) -> Result<(), QbTextError> {
    match text.chars().find(|c| (*c as u32) > 0xFF) {
        Some(c) => Err(QbTextError::NotLatin1(c)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_of_41_characters_fits_and_42_does_not() {
        assert!(QbName::parse(&"a".repeat(41)).is_ok());
        assert_eq!(QbName::parse(&"a".repeat(42)), Err(QbTextError::TooLong { len: 42, max: 41 }));
    }

    #[test]
    fn names_with_colons_or_non_latin1_text_are_refused() {
        assert_eq!(QbName::parse("Tools:Hammer"), Err(QbTextError::Colon));
        assert_eq!(QbName::parse("Zoë Café"), Ok(QbName("Zoë Café".into())));
        assert_eq!(QbName::parse("東京"), Err(QbTextError::NotLatin1('東')));
    }

    #[test]
    fn text_outside_latin1_is_transliterated_and_latin1_kept() {
        assert_eq!(to_latin1("Zoë Łódź"), "Zoë Lódz", "ó is Latin-1 and stays");
        assert_eq!(to_latin1("“Quoted” — 5 €"), "\"Quoted\" -- 5 EUR");
        assert_eq!(to_latin1("Tab\there"), "Tab?here");
        assert_eq!(to_latin1("\u{10FFFF}"), "?", "a character with no transliteration");
        assert!(to_latin1("東京 ß ñ").chars().all(|c| (c as u32) <= 0xFF));
    }

    #[test]
    fn fitting_store_text_is_predictable() {
        let long = "Bartholomew-Featherstonehaugh, Maximilian Alexander";
        assert_eq!(QbName::fit(long).unwrap().as_str(), "Bartholomew-Featherstonehaugh, Maximilian");
        assert_eq!(QbName::fit("Acme: West   Coast").unwrap().as_str(), "Acme- West Coast");
        assert_eq!(QbName::fit("Smith, 東京").unwrap().as_str(), "Smith, Dong Jing");
        assert_eq!(QbName::fit("Wójcik: Łódź").unwrap().as_str(), "Wójcik- Lódz");
        assert_eq!(QbName::fit("   "), None);
    }
}
