use std::fmt;
use std::str::FromStr;

/// A syntactically valid email address, stored lower-cased so look-ups ignore case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{0}` is not a valid email address")]
pub struct InvalidEmail(pub String);

impl Email {
    pub fn parse(text: &str) -> Result<Self, InvalidEmail> {
        let trimmed = text.trim();
        email_address::EmailAddress::from_str(trimmed).map_err(|_| InvalidEmail(trimmed.to_owned()))?;
        Ok(Self(trimmed.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A comma-separated list of recipients, each one valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailList(Vec<Email>);

impl EmailList {
    /// Parses `a@x.com, b@y.com`; empty entries (a trailing comma) are ignored, duplicates dropped.
    pub fn parse(text: &str) -> Result<Self, Vec<InvalidEmail>> {
        let mut emails: Vec<Email> = Vec::new();
        let mut errors = Vec::new();
        for part in text.split([',', ';']).map(str::trim).filter(|p| !p.is_empty()) {
            match Email::parse(part) {
                Ok(email) if !emails.contains(&email) => emails.push(email),
                Ok(_) => {}
                Err(err) => errors.push(err),
            }
        }
        if errors.is_empty() { Ok(Self(emails)) } else { Err(errors) }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Email> {
        self.0.iter()
    }
}

impl fmt::Display for EmailList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let joined: Vec<&str> = self.0.iter().map(Email::as_str).collect();
        f.write_str(&joined.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_email_is_trimmed_and_lower_cased() {
        assert_eq!(Email::parse("  Ann@Shop.COM ").unwrap().as_str(), "ann@shop.com");
        assert!(Email::parse("not-an-email").is_err());
    }

    #[test]
    fn a_recipient_list_names_every_bad_address() {
        let list = EmailList::parse("a@x.com, B@x.com,, a@x.com,").unwrap();
        assert_eq!(list.to_string(), "a@x.com, b@x.com");
        let errors = EmailList::parse("a@x.com, nope, also nope").unwrap_err();
        assert_eq!(errors, vec![InvalidEmail("nope".into()), InvalidEmail("also nope".into())]);
    }
}
