//! QuickBooks' error codes in plain English, with what the merchant can do about each.

/// A QuickBooks error a merchant can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    pub summary: &'static str,
    pub what_to_do: &'static str,
    /// Whether trying again on the next Web Connector run may succeed by itself.
    pub transient: bool,
}

const fn explain(summary: &'static str, what_to_do: &'static str, transient: bool) -> Explanation {
    Explanation { summary, what_to_do, transient }
}

/// The explanation of a qbXML `statusCode`, for the codes merchants meet.
pub fn status_code(code: i32) -> Option<Explanation> {
    Some(match code {
        1 => explain(
            "QuickBooks has no record matching the search.",
            "Nothing to do: Ledgerbridge creates what is missing when your settings allow it.",
            false,
        ),
        500 => explain(
            "QuickBooks could not find one of the names Ledgerbridge asked about.",
            "Check that the item, customer or account still exists in QuickBooks, or refresh the lists.",
            false,
        ),
        3000 | 3120 => explain(
            "QuickBooks could not find the record Ledgerbridge referred to.",
            "It may have been deleted or merged in QuickBooks; refresh the lists and retry the order.",
            false,
        ),
        3070 => explain(
            "A value is longer than QuickBooks allows for that field.",
            "Shorten the name or text in the store (or the prefix in the Orders settings) and retry the order.",
            false,
        ),
        3100 => explain(
            "That name is already used in QuickBooks (names are shared by customers, vendors, employees and other names).",
            "Rename the existing QuickBooks record or change the customer matching setting, then retry.",
            false,
        ),
        3140 => explain(
            "The order refers to something QuickBooks does not have (an account, item, class, terms or tax code).",
            "Refresh the QuickBooks lists and check the wizard's choices, then retry the order.",
            false,
        ),
        3170 | 3171 | 3172 | 3173 | 3174 | 3175 | 3176 | 3180 => explain(
            "QuickBooks was busy: someone was editing the same record, or the file was locked.",
            "Nothing to do: Ledgerbridge tries again on the next Web Connector run.",
            true,
        ),
        3200 => explain(
            "The QuickBooks record changed since Ledgerbridge read it.",
            "Nothing to do: Ledgerbridge reads it again and retries.",
            true,
        ),
        3210 => explain(
            "QuickBooks refused a value in the order (for example a payment larger than the amount due).",
            "Open the order in the log to see which value, correct it in the store, then retry.",
            false,
        ),
        3250 => explain(
            "That QuickBooks feature is turned off or not in this edition.",
            "Turn it on in QuickBooks' Preferences (classes, inventory, sales tax, estimates...) or change the setting in the wizard.",
            false,
        ),
        3260 | 3261 => explain(
            "The QuickBooks user the Web Connector runs as may not do this.",
            "Give the integrated application full access in QuickBooks (Edit > Preferences > Integrated Applications).",
            false,
        ),
        3391 => explain(
            "QuickBooks ended a long list read part-way.",
            "Nothing to do: the list is read again on the next run.",
            true,
        ),
        _ => return None,
    })
}

/// The explanation of an HRESULT the Web Connector reports (as `0x8004…`).
pub fn hresult(code: &str) -> Explanation {
    match code.trim().to_ascii_lowercase().as_str() {
        "0x80040400" => explain(
            "QuickBooks could not read a request Ledgerbridge sent.",
            "This is our bug: the order is held and we have the details in the log. Contact support.",
            false,
        ),
        "0x80040401" | "0x80040402" => explain(
            "The Web Connector could not reach QuickBooks.",
            "Make sure QuickBooks is running and the company file is open, then run the Web Connector again.",
            true,
        ),
        "0x80040408" => explain(
            "The Web Connector could not start QuickBooks.",
            "Open QuickBooks with the company file yourself, then run the Web Connector again.",
            true,
        ),
        "0x8004040a" => explain(
            "A different company file is open in QuickBooks.",
            "Open the company file this connection belongs to, then run the Web Connector again.",
            true,
        ),
        "0x80040410" | "0x80040422" => explain(
            "The company file is open in the wrong mode (single-user or multi-user).",
            "Switch QuickBooks to the other mode (File menu), then run the Web Connector again.",
            true,
        ),
        "0x80040414" => explain(
            "A window is open in QuickBooks and blocks it.",
            "Close the open dialog in QuickBooks, then run the Web Connector again.",
            true,
        ),
        "0x80040416" => explain(
            "QuickBooks is not running and no company file was given.",
            "Open QuickBooks with the company file, then run the Web Connector again.",
            true,
        ),
        "0x80040418" | "0x8004041a" | "0x80040420" => explain(
            "QuickBooks has not given Ledgerbridge access to this company file.",
            "As the QuickBooks Admin, allow Ledgerbridge in Edit > Preferences > Integrated Applications.",
            false,
        ),
        "0x8004041b" | "0x80040424" => explain(
            "QuickBooks was busy or still starting.",
            "Nothing to do: Ledgerbridge tries again on the next Web Connector run.",
            true,
        ),
        "0x8004041d" => explain(
            "Ledgerbridge may not log in to QuickBooks while nobody is signed in.",
            "Allow access \"even if QuickBooks is not running\" for Ledgerbridge in QuickBooks' Integrated Applications.",
            false,
        ),
        "0x80040423" => explain(
            "This QuickBooks does not understand the qbXML version Ledgerbridge used.",
            "Update QuickBooks, or contact support: Ledgerbridge will use an older version.",
            false,
        ),
        _ => explain(
            "QuickBooks or the Web Connector reported an error.",
            "Run the Web Connector again; if it happens again, contact support with the code shown.",
            true,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_common_codes_are_explained() {
        for code in [1, 3070, 3100, 3140, 3170, 3175, 3180, 3200] {
            assert!(status_code(code).is_some(), "{code}");
        }
        assert!(status_code(3170).unwrap().transient);
        assert!(!status_code(3100).unwrap().transient);
        assert!(hresult("0x80040400").summary.contains("could not read a request"));
        assert!(hresult("0x8004041B").transient, "HRESULTs compare without case");
        assert!(status_code(42).is_none());
    }
}
