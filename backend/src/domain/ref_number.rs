use std::fmt;

/// QuickBooks' limit for a transaction's RefNumber.
pub const REF_NUMBER_MAX: usize = 11;
/// The longest order-number prefix: at least five characters of the number must still fit.
pub const PREFIX_MAX: usize = 6;

/// A transaction reference number of at most 11 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RefNumber(String);

impl RefNumber {
    /// Builds the RefNumber for a store order: the prefix, then the order number without its
    /// `#`. When that is longer than 11 characters the number's *leading* characters are
    /// dropped: the trailing digits are the ones that tell consecutive orders apart.
    pub fn for_order(prefix: &str, order_number: &str) -> Self {
        let number: String =
            order_number.trim().trim_start_matches('#').chars().filter(|c| !c.is_whitespace()).collect();
        let room = REF_NUMBER_MAX.saturating_sub(prefix.chars().count());
        let count = number.chars().count();
        let kept: String = number.chars().skip(count.saturating_sub(room)).collect();
        Self(format!("{prefix}{kept}"))
    }

    /// The number of an order's `sequence`th credit memo: the order's number and `R1`, `R2`…,
    /// keeping the end of the order's number when both do not fit.
    pub fn for_refund(original: &str, sequence: u32) -> Self {
        let suffix = format!("R{sequence}");
        let room = REF_NUMBER_MAX.saturating_sub(suffix.len());
        let count = original.chars().count();
        let kept: String = original.chars().skip(count.saturating_sub(room)).collect();
        Self(format!("{kept}{suffix}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RefNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::RefNumber;

    #[test]
    fn a_refund_number_is_the_orders_with_its_sequence() {
        assert_eq!(RefNumber::for_refund("1001", 1).as_str(), "1001R1");
        assert_eq!(RefNumber::for_refund("WEB-1234567", 12).as_str(), "-1234567R12");
    }

    #[test]
    fn a_short_order_number_keeps_its_prefix_and_loses_its_hash() {
        assert_eq!(RefNumber::for_order("WEB-", "#1001").as_str(), "WEB-1001");
        assert_eq!(RefNumber::for_order("", "1001").as_str(), "1001");
    }

    #[test]
    fn a_long_order_number_keeps_its_last_characters() {
        assert_eq!(RefNumber::for_order("WEB-", "#123456789012").as_str(), "WEB-6789012");
        assert_eq!(RefNumber::for_order("", "123456789012345").as_str(), "56789012345");
        assert_eq!(RefNumber::for_order("WEB-", "#123456789012").as_str().len(), 11);
    }
}
