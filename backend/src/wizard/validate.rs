//! Each step's input checked against the rules and the company's cached QuickBooks lists.
//! A valid input comes back normalised: names spelled as QuickBooks spells them.

use super::steps::*;
use crate::domain::{EmailList, PREFIX_MAX, QbName};
use crate::error::FieldError;
use crate::quickbooks_lists::{AccountType, ListKind, ListSnapshot};

/// The company's country as QuickBooks reported it; unknown until the first Web Connector run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompanyCountry {
    Us,
    Canada,
    Uk,
    Unknown,
}

impl CompanyCountry {
    pub fn from_stored(country: Option<&str>) -> Self {
        match country.map(str::to_uppercase).as_deref() {
            Some("US") => Self::Us,
            Some("CA") => Self::Canada,
            Some("UK" | "GB") => Self::Uk,
            _ => Self::Unknown,
        }
    }

    fn uses_tax_codes_only(self) -> bool {
        matches!(self, Self::Canada | Self::Uk)
    }
}

type Checked<T> = Result<T, Vec<FieldError>>;

fn blank_to_none(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// Collects field errors while normalising a step.
#[derive(Default)]
struct Problems(Vec<FieldError>);

impl Problems {
    fn push(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    /// Keeps the canonical value or records the error.
    fn take<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        result.map_err(|err| self.0.push(err)).ok()
    }

    fn finish<T>(self, value: T) -> Checked<T> {
        if self.0.is_empty() { Ok(value) } else { Err(self.0) }
    }
}

pub fn orders(input: OrderSettings, lists: &ListSnapshot) -> Checked<OrderSettings> {
    let mut problems = Problems::default();
    let mut out = input.clone();
    out.class_name = blank_to_none(input.class_name);
    out.terms_name = blank_to_none(input.terms_name);
    out.order_number_prefix = blank_to_none(input.order_number_prefix);
    if let Some(class) = out.class_name.clone() {
        if out.use_store_name_as_class {
            problems.push("input.className", "choose a class or use the store's name as the class, not both");
        } else if let Some(found) = problems.take(lists.find(&[ListKind::Class], &class, "input.className")) {
            out.class_name = Some(found.full_name.clone());
        }
    }
    if let Some(terms) = out.terms_name.clone() {
        if !out.transaction_type.takes_terms() {
            problems.push("input.termsName", "sales receipts are paid at once, so QuickBooks gives them no terms");
        } else if let Some(found) = problems.take(lists.find(&[ListKind::Terms], &terms, "input.termsName")) {
            out.terms_name = Some(found.full_name.clone());
        }
    }
    if let Some(prefix) = &out.order_number_prefix {
        if out.numbering == OrderNumbering::QuickbooksNextNumber {
            problems.push(
                "input.orderNumberPrefix",
                "a prefix applies to the store's order number; with QuickBooks numbering leave it empty",
            );
        } else if prefix.chars().count() > PREFIX_MAX {
            problems.push(
                "input.orderNumberPrefix",
                format!("the prefix may be at most {PREFIX_MAX} characters, so that at least 5 characters of the order number fit in QuickBooks' 11"),
            );
        } else if prefix.chars().any(|c| (c as u32) > 0xFF || c.is_whitespace()) {
            problems.push("input.orderNumberPrefix", "the prefix may not contain spaces or characters outside Latin-1");
        }
    }
    let mut statuses: Vec<String> = Vec::new();
    for status in input.status_filter.iter().flat_map(|s| s.split(',')).map(|s| s.trim().to_lowercase()) {
        if status.is_empty() || statuses.contains(&status) {
            continue;
        }
        if KNOWN_ORDER_STATUSES.contains(&status.as_str()) {
            statuses.push(status);
        } else {
            problems.push(
                "input.statusFilter",
                format!("\"{status}\" is not an order status; use any of {}", KNOWN_ORDER_STATUSES.join(", ")),
            );
        }
    }
    out.status_filter = statuses;
    problems.finish(out)
}

pub fn customers(input: CustomerSettings) -> Checked<CustomerSettings> {
    let mut problems = Problems::default();
    let mut out = input.clone();
    let name = blank_to_none(input.single_customer_name).unwrap_or_else(|| DEFAULT_SINGLE_CUSTOMER.to_owned());
    match QbName::parse(&name) {
        Ok(valid) => out.single_customer_name = Some(valid.to_string()),
        Err(err) => problems.push("input.singleCustomerName", format!("the customer name {err}")),
    }
    problems.finish(out)
}

pub fn accounts(input: AccountSettings, lists: &ListSnapshot) -> Checked<AccountSettings> {
    use AccountType::*;
    let mut problems = Problems::default();
    let mut check = |value: &str, allowed: &[AccountType], field: &str| -> Option<String> {
        problems.take(lists.find_account(value, allowed, field)).map(|a| a.full_name.clone())
    };
    let income = check(&input.income_account, &[Income], "input.incomeAccount");
    let receivable = check(&input.receivable_account, &[AccountsReceivable], "input.receivableAccount");
    let deposit = check(&input.deposit_account, &[Bank, OtherCurrentAsset], "input.depositAccount");
    let asset = blank_to_none(input.asset_account).map(|a| check(&a, &[OtherCurrentAsset], "input.assetAccount"));
    let cogs = blank_to_none(input.cogs_account).map(|a| check(&a, &[CostOfGoodsSold], "input.cogsAccount"));
    let discount = blank_to_none(input.discount_account)
        .map(|a| check(&a, &[Income, OtherIncome, Expense, OtherExpense], "input.discountAccount"));
    let out = AccountSettings {
        income_account: income.unwrap_or_default(),
        asset_account: asset.flatten(),
        cogs_account: cogs.flatten(),
        receivable_account: receivable.unwrap_or_default(),
        discount_account: discount.flatten(),
        deposit_account: deposit.unwrap_or_default(),
    };
    problems.finish(out)
}

pub fn sales_tax(input: SalesTaxSettings, lists: &ListSnapshot, country: CompanyCountry) -> Checked<SalesTaxSettings> {
    let mut problems = Problems::default();
    let mut out = SalesTaxSettings {
        mode: input.mode,
        tax_item: blank_to_none(input.tax_item),
        taxable_code: blank_to_none(input.taxable_code),
        non_taxable_code: blank_to_none(input.non_taxable_code),
    };
    match out.mode {
        SalesTaxMode::LineItem if country.uses_tax_codes_only() => problems.push(
            "input.mode",
            "Canadian and UK QuickBooks companies calculate tax from tax codes: choose TAX_CODE_MAPPING",
        ),
        SalesTaxMode::LineItem => match out.tax_item.clone() {
            None => problems.push("input.taxItem", "choose the sales tax item (or group) for the tax line"),
            Some(item) => {
                out.tax_item = problems
                    .take(lists.find(&[ListKind::SalesTaxItem, ListKind::SalesTaxGroup], &item, "input.taxItem"))
                    .map(|e| e.full_name.clone());
            }
        },
        SalesTaxMode::TaxCodeMapping => {
            if out.tax_item.is_some() {
                problems.push("input.taxItem", "a tax item is used only in LINE_ITEM mode; leave it empty");
            }
        }
    }
    if country.uses_tax_codes_only() {
        // The taxable code comes from the mapping by place; the code for lines the store did
        // not tax (exempt, zero-rated) is one for the whole company.
        if out.taxable_code.is_some() {
            problems.push(
                "input.taxableCode",
                "Canadian and UK companies take the taxable code from the mapping by place; leave it empty",
            );
        }
        if let Some(code) = out.non_taxable_code.clone() {
            out.non_taxable_code = problems
                .take(lists.find(&[ListKind::SalesTaxCode], &code, "input.nonTaxableCode"))
                .map(|e| e.full_name.clone());
        }
    } else {
        for (slot, default, field) in [
            (&mut out.taxable_code, "Tax", "input.taxableCode"),
            (&mut out.non_taxable_code, "Non", "input.nonTaxableCode"),
        ] {
            let wanted = slot.clone().unwrap_or_else(|| default.to_owned());
            // The defaults are QuickBooks' own; only check them once the codes have been read.
            if slot.is_some() || lists.was_read(ListKind::SalesTaxCode) {
                if let Some(code) = problems.take(lists.find(&[ListKind::SalesTaxCode], &wanted, field)) {
                    *slot = Some(code.full_name.clone());
                }
            } else {
                *slot = Some(wanted);
            }
        }
    }
    problems.finish(out)
}

/// Checks the tax code a mapping row points at.
pub fn mapping_target(
    tax_code: &str,
    lists: &ListSnapshot,
    country: CompanyCountry,
    field: &str,
) -> Result<String, FieldError> {
    let kinds: &[ListKind] = if country.uses_tax_codes_only() {
        &[ListKind::SalesTaxCode]
    } else {
        &[ListKind::SalesTaxCode, ListKind::SalesTaxItem, ListKind::SalesTaxGroup]
    };
    lists.find(kinds, tax_code, field).map(|e| e.full_name.clone())
}

pub fn products(input: ProductSettings, lists: &ListSnapshot) -> Checked<ProductSettings> {
    let mut problems = Problems::default();
    let mut out = input.clone();
    out.custom_field_name = blank_to_none(input.custom_field_name);
    if input.match_by != ProductMatching::ItemName {
        match lists.count(ListKind::Item) {
            None => problems.push(
                "input.matchBy",
                "matching by part number, barcode or custom field needs the QuickBooks item list, which has not \
                 been read yet: run the Web Connector once, then try again",
            ),
            Some(count) if count >= ITEM_LIST_LIMIT_FOR_FIELD_MATCHING => problems.push(
                "input.matchBy",
                format!(
                    "your QuickBooks company has {count} items; matching by part number, barcode or custom field \
                     works for lists under {ITEM_LIST_LIMIT_FOR_FIELD_MATCHING} items — match by item name instead"
                ),
            ),
            Some(_) => {}
        }
    }
    match (input.match_by, &out.custom_field_name) {
        (ProductMatching::CustomField, None) => {
            problems.push("input.customFieldName", "name the QuickBooks custom field that holds the store SKU")
        }
        (ProductMatching::CustomField, Some(name)) if name.chars().count() > 31 => {
            problems.push("input.customFieldName", "QuickBooks custom field names are at most 31 characters")
        }
        (ProductMatching::CustomField, Some(_)) => {}
        (_, Some(_)) => out.custom_field_name = None,
        (_, None) => {}
    }
    problems.finish(out)
}

pub fn notifications(input: NotificationSettings) -> Checked<NotificationSettings> {
    let mut problems = Problems::default();
    let mut out = input.clone();
    match EmailList::parse(&input.emails) {
        Ok(list) => {
            let wants_email = input.daily_log_email || input.notify_customer_created || input.notify_item_created;
            if wants_email && list.is_empty() {
                problems.push("input.emails", "give at least one email address to send the notifications to");
            }
            out.emails = list.to_string();
        }
        Err(errors) => {
            for err in errors {
                problems.push("input.emails", err.to_string());
            }
        }
    }
    match input.daily_email_time.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        None => out.daily_email_time = Some("07:00".to_owned()),
        Some(text) => match chrono::NaiveTime::parse_from_str(text, "%H:%M") {
            Ok(time) => out.daily_email_time = Some(time.format("%H:%M").to_string()),
            Err(_) => problems.push("input.dailyEmailTime", "give the time as HH:MM on a 24-hour clock, e.g. 07:00"),
        },
    }
    problems.finish(out)
}

/// What must hold across steps before set-up is complete.
pub fn completeness(settings: &Settings, mapping_count: usize) -> Vec<FieldError> {
    let mut problems = Problems::default();
    for step in WizardStepKind::ALL {
        if !settings.is_saved(step) {
            problems.push(
                &format!("steps.{}", crate::db_enum::to_db(&step)),
                format!("step {} \"{}\" has not been saved", step.number(), step.title()),
            );
        }
    }
    if let (Some(products), Some(accounts)) = (&settings.products, &settings.accounts)
        && products.when_no_match == NoProductMatch::CreateInventoryItem
        && (accounts.asset_account.is_none() || accounts.cogs_account.is_none())
    {
        problems.push(
            "steps.ACCOUNTS",
            "creating inventory items needs an inventory asset account and a cost of goods sold account",
        );
    }
    if let Some(tax) = &settings.sales_tax
        && tax.mode == SalesTaxMode::TaxCodeMapping
        && mapping_count == 0
    {
        problems.push("steps.SALES_TAX", "add at least one tax code mapping (a state-wide one is enough)");
    }
    problems.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_bad_ones_named() {
        let ok = notifications(NotificationSettings {
            emails: "Ann@Shop.com, bob@shop.com".into(),
            daily_log_email: true,
            notify_customer_created: false,
            notify_item_created: false,
            daily_email_time: None,
        })
        .unwrap();
        assert_eq!(ok.emails, "ann@shop.com, bob@shop.com");
        assert_eq!(ok.daily_email_time.as_deref(), Some("07:00"), "the default time");
        let bad = notifications(NotificationSettings {
            emails: "ann@shop.com, nope".into(),
            daily_log_email: false,
            notify_customer_created: false,
            notify_item_created: false,
            daily_email_time: Some("7pm".into()),
        })
        .unwrap_err();
        assert_eq!(bad[0].field, "input.emails");
        assert!(bad[0].message.contains("nope"));
        assert_eq!(bad[1].field, "input.dailyEmailTime");
    }

    #[test]
    fn notifications_without_recipients_are_refused() {
        let bad = notifications(NotificationSettings {
            emails: " ".into(),
            daily_log_email: true,
            notify_customer_created: false,
            notify_item_created: false,
            daily_email_time: Some("06:30".into()),
        })
        .unwrap_err();
        assert!(bad[0].message.contains("at least one email"));
    }

    #[test]
    fn a_single_customer_name_must_be_a_valid_quickbooks_name() {
        let settings = |name: &str| CustomerSettings {
            matching: CustomerMatching::SingleCustomer,
            single_customer_name: Some(name.into()),
            when_no_match: NoCustomerMatch::CreateCustomer,
        };
        assert_eq!(customers(settings("  ")).unwrap().single_customer_name.as_deref(), Some("Web Store"));
        assert!(customers(settings(&"x".repeat(42))).unwrap_err()[0].message.contains("at most 41"));
    }

    #[test]
    fn completeness_lists_every_missing_step() {
        let missing = completeness(&Settings::default(), 0);
        assert_eq!(missing.len(), 7);
        assert_eq!(missing[0].field, "steps.SYNC_DIRECTION");
        assert!(missing[6].message.contains("Notifications"));
    }
}
