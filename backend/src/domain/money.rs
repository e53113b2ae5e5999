use std::fmt;
use std::str::FromStr;

/// An amount of money in integer cents: exact, never a float.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Money(i64);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MoneyError {
    #[error("`{0}` is not an amount of money")]
    NotANumber(String),
    #[error("`{0}` has fractions of a cent, which QuickBooks cannot hold")]
    SubCent(String),
    #[error("`{0}` is too large")]
    TooLarge(String),
}

impl Money {
    pub const ZERO: Money = Money(0);

    pub fn from_cents(cents: i64) -> Self {
        Self(cents)
    }

    pub fn cents(self) -> i64 {
        self.0
    }

    /// Parses a store's decimal text ("19.99", "20", "-5.5", "10.000000"); trailing zeros past
    /// the cents are fine, any other fraction of a cent is refused rather than rounded away.
    pub fn parse(text: &str) -> Result<Self, MoneyError> {
        let trimmed = text.trim();
        let (negative, digits) = match trimmed.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, trimmed.strip_prefix('+').unwrap_or(trimmed)),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let valid = !whole.is_empty()
            && whole.chars().all(|c| c.is_ascii_digit())
            && fraction.chars().all(|c| c.is_ascii_digit());
        if !valid {
            return Err(MoneyError::NotANumber(trimmed.to_owned()));
        }
        if fraction.len() > 2 && fraction[2..].chars().any(|c| c != '0') {
            return Err(MoneyError::SubCent(trimmed.to_owned()));
        }
        let cents_text = format!("{:0<2}", &fraction[..fraction.len().min(2)]);
        let whole: i64 = whole.parse().map_err(|_| MoneyError::TooLarge(trimmed.to_owned()))?;
        let cents: i64 = cents_text.parse().map_err(|_| MoneyError::NotANumber(trimmed.to_owned()))?;
        let value = whole
            .checked_mul(100)
            .and_then(|w| w.checked_add(cents))
            .ok_or_else(|| MoneyError::TooLarge(trimmed.to_owned()))?;
        Ok(Self(if negative { -value } else { value }))
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }
}

impl std::ops::Add for Money {
    type Output = Money;
    fn add(self, other: Money) -> Money {
        Money(self.0 + other.0)
    }
}

impl std::ops::Sub for Money {
    type Output = Money;
    fn sub(self, other: Money) -> Money {
        Money(self.0 - other.0)
    }
}

impl std::ops::Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(-self.0)
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        Money(iter.map(|m| m.0).sum())
    }
}

/// qbXML's AMTTYPE: always two decimals ("19.99", "-5.00").
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl FromStr for Money {
    type Err = MoneyError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl TryFrom<String> for Money {
    type Error = MoneyError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl From<Money> for String {
    fn from(money: Money) -> String {
        money.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_amounts_parse_exactly() {
        assert_eq!(Money::parse("19.99").unwrap().cents(), 1999);
        assert_eq!(Money::parse("20").unwrap().cents(), 2000);
        assert_eq!(Money::parse("-5.5").unwrap().cents(), -550);
        assert_eq!(Money::parse("10.000000").unwrap().cents(), 1000);
        assert_eq!(Money::parse("0.07").unwrap().cents(), 7);
    }

    #[test]
    fn fractions_of_a_cent_and_garbage_are_refused() {
        assert_eq!(Money::parse("7.955"), Err(MoneyError::SubCent("7.955".into())));
        assert!(matches!(Money::parse("1e3"), Err(MoneyError::NotANumber(_))));
        assert!(matches!(Money::parse(""), Err(MoneyError::NotANumber(_))));
        assert!(matches!(Money::parse(".5"), Err(MoneyError::NotANumber(_))));
        assert!(matches!(Money::parse("99999999999999999999"), Err(MoneyError::TooLarge(_))));
    }

    #[test]
    fn amounts_print_as_qbxml_wants_them() {
        assert_eq!(Money::from_cents(1999).to_string(), "19.99");
        assert_eq!(Money::from_cents(-500).to_string(), "-5.00");
        assert_eq!(Money::from_cents(7).to_string(), "0.07");
        assert_eq!(Money::from_cents(-7).to_string(), "-0.07");
        let total: Money = [Money::from_cents(150), Money::from_cents(250)].into_iter().sum();
        assert_eq!(total, Money::from_cents(400));
    }
}
