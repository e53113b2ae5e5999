//! Which QuickBooks customer an order belongs to: the name built from the order under each
//! matching option, always a valid QuickBooks name of at most 41 characters.

use super::steps::CustomerMatching;
use crate::domain::{QB_NAME_MAX, QbName};

/// The parts of an order a customer name can be built from.
#[derive(Debug, Clone, Default)]
pub struct CustomerNameParts<'a> {
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub email: &'a str,
    pub billing_company: &'a str,
    pub shipping_first_name: &'a str,
    pub shipping_last_name: &'a str,
    pub shipping_company: &'a str,
    pub store_name: &'a str,
    pub currency: &'a str,
    pub order_number: &'a str,
}

/// The customer name for an order, or `None` when the order lacks what the option needs
/// (then the "when no match" action applies).
///
/// Names longer than 41 characters are shortened predictably: a trailing email or currency
/// is kept whole and the name before it is cut; any other name is cut at 41 characters.
/// Colons become dashes, since QuickBooks reads them as parent:child.
pub fn customer_name(
    matching: CustomerMatching,
    parts: &CustomerNameParts<'_>,
    single_customer: &str,
) -> Option<QbName> {
    use CustomerMatching::*;
    let billing_first_last = || join(&[parts.first_name, parts.last_name], " ");
    let billing_last_first = || join(&[parts.last_name, parts.first_name], ", ");
    let shipping_first_last = || join(&[parts.shipping_first_name, parts.shipping_last_name], " ");
    let shipping_last_first = || join(&[parts.shipping_last_name, parts.shipping_first_name], ", ");
    let company_else = |company: &str, fallback: String| {
        if company.trim().is_empty() { fallback } else { company.trim().to_owned() }
    };
    let text = match matching {
        LastFirst => billing_last_first(),
        FirstLast => billing_first_last(),
        SingleCustomer => single_customer.to_owned(),
        BillingCompanyElseFirstLast => company_else(parts.billing_company, billing_first_last()),
        BillingCompanyElseLastFirst => company_else(parts.billing_company, billing_last_first()),
        BillingCompanyElseSingleCustomer => company_else(parts.billing_company, single_customer.to_owned()),
        LastFirstEmail => return with_kept_suffix(&billing_last_first(), parts.email),
        FirstLastEmail => return with_kept_suffix(&join(&[parts.first_name, parts.last_name], ", "), parts.email),
        StoreName => parts.store_name.to_owned(),
        StoreNameCurrency => return with_kept_suffix_sep(parts.store_name, parts.currency, " "),
        OrderNumber => parts.order_number.to_owned(),
        ShippingCompanyElseFirstLast => company_else(parts.shipping_company, shipping_first_last()),
        ShippingCompanyElseLastFirst => company_else(parts.shipping_company, shipping_last_first()),
        ShippingLastFirst => shipping_last_first(),
        BillingEmail => parts.email.trim().to_owned(),
    };
    QbName::fit(&text)
}

/// Joins the non-empty parts.
fn join(parts: &[&str], separator: &str) -> String {
    parts.iter().map(|p| p.trim()).filter(|p| !p.is_empty()).collect::<Vec<_>>().join(separator)
}

fn with_kept_suffix(name: &str, suffix: &str) -> Option<QbName> {
    with_kept_suffix_sep(name, suffix, ", ")
}

fn with_kept_suffix_sep(name: &str, suffix: &str, separator: &str) -> Option<QbName> {
    let name = name.trim();
    let suffix = suffix.trim();
    if suffix.is_empty() || name.is_empty() {
        return QbName::fit(&join(&[name, suffix], separator));
    }
    let room = QB_NAME_MAX.saturating_sub(suffix.chars().count() + separator.chars().count());
    // With no room left for any of the name, the suffix alone (cut if it must be) is the name.
    if room < 3 {
        return QbName::fit(suffix);
    }
    let cut_name = QbName::fit(&name.chars().take(room).collect::<String>())?;
    QbName::fit(&format!("{cut_name}{separator}{suffix}"))
}

/// A plain-English description of the option, with an example, for the wizard.
pub fn describe(matching: CustomerMatching, single_customer: &str) -> String {
    let sample = CustomerNameParts {
        first_name: "Ann",
        last_name: "Smith",
        email: "ann@example.com",
        billing_company: "Acme Ltd",
        shipping_first_name: "Bob",
        shipping_last_name: "Jones",
        shipping_company: "",
        store_name: "My Shop",
        currency: "USD",
        order_number: "#1001",
    };
    let example = customer_name(matching, &sample, single_customer).map_or_else(String::new, |n| n.to_string());
    format!(
        "Ann Smith of Acme Ltd (ann@example.com) ordering #1001 from My Shop, shipped to Bob Jones, becomes \
         the customer \"{example}\". Names over {QB_NAME_MAX} characters are shortened: a trailing email or \
         currency is kept whole and the name before it is cut; other names are cut at {QB_NAME_MAX} characters. \
         Colons become dashes."
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use CustomerMatching::*;

    fn ann() -> CustomerNameParts<'static> {
        CustomerNameParts {
            first_name: "Ann",
            last_name: "Smith",
            email: "ann@example.com",
            billing_company: "",
            shipping_first_name: "Bob",
            shipping_last_name: "Jones",
            shipping_company: "Jones & Co",
            store_name: "My Shop",
            currency: "CAD",
            order_number: "#1001",
        }
    }

    fn name(matching: CustomerMatching, parts: &CustomerNameParts<'_>) -> String {
        customer_name(matching, parts, "Web Store").map(|n| n.to_string()).unwrap_or_default()
    }

    #[test]
    fn every_option_builds_the_name_it_promises() {
        let parts = ann();
        assert_eq!(name(LastFirst, &parts), "Smith, Ann");
        assert_eq!(name(FirstLast, &parts), "Ann Smith");
        assert_eq!(name(SingleCustomer, &parts), "Web Store");
        assert_eq!(name(BillingCompanyElseFirstLast, &parts), "Ann Smith");
        assert_eq!(name(BillingCompanyElseLastFirst, &parts), "Smith, Ann");
        assert_eq!(name(BillingCompanyElseSingleCustomer, &parts), "Web Store");
        assert_eq!(name(LastFirstEmail, &parts), "Smith, Ann, ann@example.com");
        assert_eq!(name(FirstLastEmail, &parts), "Ann, Smith, ann@example.com");
        assert_eq!(name(StoreName, &parts), "My Shop");
        assert_eq!(name(StoreNameCurrency, &parts), "My Shop CAD");
        assert_eq!(name(OrderNumber, &parts), "#1001");
        assert_eq!(name(ShippingCompanyElseFirstLast, &parts), "Jones & Co");
        assert_eq!(name(ShippingCompanyElseLastFirst, &parts), "Jones & Co");
        assert_eq!(name(ShippingLastFirst, &parts), "Jones, Bob");
        assert_eq!(name(BillingEmail, &parts), "ann@example.com");
    }

    #[test]
    fn a_billing_company_wins_when_present() {
        let parts = CustomerNameParts { billing_company: "Acme: West", ..ann() };
        assert_eq!(name(BillingCompanyElseFirstLast, &parts), "Acme- West");
        assert_eq!(name(BillingCompanyElseSingleCustomer, &parts), "Acme- West");
    }

    #[test]
    fn a_long_name_keeps_its_email_whole() {
        let parts = CustomerNameParts {
            first_name: "Maximilian",
            last_name: "Featherstonehaugh-Smythe",
            email: "max@example.com",
            ..ann()
        };
        let built = name(LastFirstEmail, &parts);
        assert_eq!(built, "Featherstonehaugh-Smythe, max@example.com");
        assert_eq!(built.chars().count(), 41);
    }

    #[test]
    fn missing_parts_mean_no_match() {
        let nobody = CustomerNameParts::default();
        assert!(customer_name(LastFirst, &nobody, "Web Store").is_none());
        assert!(customer_name(BillingEmail, &nobody, "Web Store").is_none());
        assert_eq!(name(SingleCustomer, &nobody), "Web Store");
    }

    #[test]
    fn the_description_shows_the_real_example() {
        assert!(describe(LastFirstEmail, "Web Store").contains("\"Smith, Ann, ann@example.com\""));
    }
}
