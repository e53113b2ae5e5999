//! The settings of each wizard step. One struct serves as the GraphQL input, the GraphQL
//! output and the stored JSON, so the three can never disagree.

use async_graphql::{Enum, InputObject, SimpleObject};
use serde::{Deserialize, Serialize};

use crate::domain::{PREFIX_MAX, RefNumber};

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WizardStepKind {
    SyncDirection,
    Orders,
    Customers,
    Accounts,
    SalesTax,
    Products,
    Notifications,
}

impl WizardStepKind {
    pub const ALL: [WizardStepKind; 7] = [
        WizardStepKind::SyncDirection,
        WizardStepKind::Orders,
        WizardStepKind::Customers,
        WizardStepKind::Accounts,
        WizardStepKind::SalesTax,
        WizardStepKind::Products,
        WizardStepKind::Notifications,
    ];

    pub fn number(self) -> i32 {
        Self::ALL.iter().position(|s| *s == self).map_or(0, |i| i as i32 + 1)
    }

    pub fn title(self) -> &'static str {
        match self {
            WizardStepKind::SyncDirection => "Sync Direction",
            WizardStepKind::Orders => "Orders",
            WizardStepKind::Customers => "Customers",
            WizardStepKind::Accounts => "Accounts",
            WizardStepKind::SalesTax => "Sales Tax Mapping",
            WizardStepKind::Products => "Products",
            WizardStepKind::Notifications => "Notifications",
        }
    }

    /// Steps whose choices name objects in the QuickBooks company.
    pub fn needs_quickbooks_lists(self) -> bool {
        matches!(
            self,
            WizardStepKind::Orders | WizardStepKind::Accounts | WizardStepKind::SalesTax | WizardStepKind::Products
        )
    }
}

// ---- Step 1 ---------------------------------------------------------------------------

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SyncDirection {
    /// Store orders are written into QuickBooks.
    ToQuickbooks,
    /// QuickBooks sales are read back out to the store side.
    FromQuickbooks,
}

#[derive(SimpleObject, InputObject, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[graphql(input_name = "SyncDirectionInput")]
#[serde(rename_all = "camelCase")]
pub struct SyncDirectionSettings {
    pub direction: SyncDirection,
    /// Send QuickBooks' quantity on hand back to the stores.
    pub sync_inventory: bool,
}

// ---- Step 2 ---------------------------------------------------------------------------

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TransactionType {
    Invoice,
    /// An invoice, plus a received payment when the order is paid.
    InvoiceWithPayment,
    SalesReceipt,
    SalesOrder,
    /// A sales order, and an invoice against it.
    SalesOrderWithInvoice,
    Estimate,
}

impl TransactionType {
    pub fn label(self) -> &'static str {
        match self {
            TransactionType::Invoice => "invoices",
            TransactionType::InvoiceWithPayment => "invoices, with a payment when paid",
            TransactionType::SalesReceipt => "sales receipts",
            TransactionType::SalesOrder => "sales orders",
            TransactionType::SalesOrderWithInvoice => "sales orders with an invoice",
            TransactionType::Estimate => "estimates",
        }
    }

    /// Sales receipts are paid on the spot: QuickBooks gives them no terms.
    pub fn takes_terms(self) -> bool {
        !matches!(self, TransactionType::SalesReceipt)
    }
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderNumbering {
    /// The store's order number becomes the RefNumber (with the optional prefix).
    StoreOrderNumber,
    /// QuickBooks numbers the transaction; the store's number goes in the memo.
    QuickbooksNextNumber,
}

/// Order statuses the status filter understands (Shopify's financial and fulfilment
/// statuses and WooCommerce's order statuses).
pub const KNOWN_ORDER_STATUSES: &[&str] = &[
    "pending",
    "authorized",
    "paid",
    "partially_paid",
    "refunded",
    "partially_refunded",
    "voided",
    "fulfilled",
    "unfulfilled",
    "partially_fulfilled",
    "processing",
    "completed",
    "on-hold",
    "cancelled",
    "failed",
];

#[derive(SimpleObject, InputObject, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[graphql(input_name = "OrderSettingsInput")]
#[serde(rename_all = "camelCase")]
pub struct OrderSettings {
    pub transaction_type: TransactionType,
    /// A QuickBooks class put on every order; null for none.
    pub class_name: Option<String>,
    /// Put the store's name as the class instead (a class of that name must exist).
    pub use_store_name_as_class: bool,
    /// QuickBooks terms for invoices, sales orders and estimates; null for the customer's own.
    pub terms_name: Option<String>,
    pub numbering: OrderNumbering,
    /// Put before the store's order number in the RefNumber (at most 6 characters).
    pub order_number_prefix: Option<String>,
    /// Only orders in one of these statuses are synced; empty for every order.
    pub status_filter: Vec<String>,
    /// What an edit in the store does to an order already in QuickBooks.
    #[graphql(default)]
    #[serde(default)]
    pub when_changed_after_sync: ChangedAfterSync,
    /// What a cancellation in the store does to an order already in QuickBooks.
    #[graphql(default)]
    #[serde(default)]
    pub when_cancelled_after_sync: CancelledAfterSync,
}

/// An order the store changed after it reached QuickBooks.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ChangedAfterSync {
    /// Log it for the merchant; QuickBooks keeps what it has.
    #[default]
    Flag,
    /// Delete the QuickBooks transaction (and its payment) on the next run and add the order
    /// again as it is now.
    Repost,
}

/// An order the store cancelled after it reached QuickBooks.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CancelledAfterSync {
    /// Log it for the merchant, who can undo it from the dashboard.
    #[default]
    Flag,
    /// Void the transaction on the next run (its payment deleted first): it stays in QuickBooks
    /// with its number and zero amounts, for the audit trail. Sales orders and estimates,
    /// which QuickBooks cannot void, are deleted.
    Void,
}

impl OrderSettings {
    /// How an order's number reaches QuickBooks, in the merchant's words.
    pub fn numbering_rule(&self) -> String {
        match self.numbering {
            OrderNumbering::QuickbooksNextNumber => {
                "QuickBooks gives each transaction its next number; the store's order number goes in the memo."
                    .to_owned()
            }
            OrderNumbering::StoreOrderNumber => {
                let prefix = self.order_number_prefix.as_deref().unwrap_or("");
                format!(
                    "The RefNumber is {} the order number without its #, at most 11 characters: a longer \
                     number keeps its last {} characters (#1001 becomes {}, #123456789012 becomes {}).",
                    if prefix.is_empty() { "".to_owned() } else { format!("\"{prefix}\" followed by") },
                    11 - prefix.chars().count().min(PREFIX_MAX),
                    RefNumber::for_order(prefix, "#1001"),
                    RefNumber::for_order(prefix, "#123456789012"),
                )
            }
        }
    }
}

// ---- Step 3 ---------------------------------------------------------------------------

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CustomerMatching {
    LastFirst,
    FirstLast,
    SingleCustomer,
    BillingCompanyElseFirstLast,
    BillingCompanyElseLastFirst,
    BillingCompanyElseSingleCustomer,
    LastFirstEmail,
    FirstLastEmail,
    StoreName,
    StoreNameCurrency,
    OrderNumber,
    ShippingCompanyElseFirstLast,
    ShippingCompanyElseLastFirst,
    ShippingLastFirst,
    BillingEmail,
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NoCustomerMatch {
    CreateCustomer,
    FailOrder,
    UseSingleCustomer,
}

pub const DEFAULT_SINGLE_CUSTOMER: &str = "Web Store";

#[derive(SimpleObject, InputObject, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[graphql(input_name = "CustomerSettingsInput")]
#[serde(rename_all = "camelCase")]
pub struct CustomerSettings {
    pub matching: CustomerMatching,
    /// The one customer used by the single-customer options; null for "Web Store".
    pub single_customer_name: Option<String>,
    pub when_no_match: NoCustomerMatch,
}

impl CustomerSettings {
    pub fn single_customer(&self) -> &str {
        self.single_customer_name.as_deref().unwrap_or(DEFAULT_SINGLE_CUSTOMER)
    }

    /// Whether any option can send an order to the single customer.
    pub fn uses_single_customer(&self) -> bool {
        matches!(self.matching, CustomerMatching::SingleCustomer | CustomerMatching::BillingCompanyElseSingleCustomer)
            || self.when_no_match == NoCustomerMatch::UseSingleCustomer
    }
}

// ---- Step 4 ---------------------------------------------------------------------------

#[derive(SimpleObject, InputObject, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[graphql(input_name = "AccountSettingsInput")]
#[serde(rename_all = "camelCase")]
pub struct AccountSettings {
    /// Income account for items Ledgerbridge creates (type Income).
    pub income_account: String,
    /// Inventory asset account for inventory items it creates (type Other Current Asset).
    pub asset_account: Option<String>,
    /// Cost of goods sold account for inventory items it creates.
    pub cogs_account: Option<String>,
    /// Accounts receivable for invoices.
    pub receivable_account: String,
    /// Where order discounts are posted; null when the store gives no discounts.
    pub discount_account: Option<String>,
    /// Where payments and sales receipts are deposited (Bank, or Undeposited Funds).
    pub deposit_account: String,
}

// ---- Step 5 ---------------------------------------------------------------------------

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SalesTaxMode {
    /// The order's tax total becomes one line with a sales tax item (US companies).
    LineItem,
    /// Each order gets the tax code mapped from its shipping address (city → county → state).
    TaxCodeMapping,
}

#[derive(SimpleObject, InputObject, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[graphql(input_name = "SalesTaxSettingsInput")]
#[serde(rename_all = "camelCase")]
pub struct SalesTaxSettings {
    pub mode: SalesTaxMode,
    /// The sales tax item (or group) for LINE_ITEM mode.
    pub tax_item: Option<String>,
    /// US companies: the code for taxable lines; null for "Tax".
    pub taxable_code: Option<String>,
    /// US companies: the code for non-taxable lines; null for "Non".
    pub non_taxable_code: Option<String>,
}

// ---- Step 6 ---------------------------------------------------------------------------

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProductMatching {
    /// The store SKU is the item's name (`Hammer` finds `Tools:Hammer`).
    ItemName,
    ManufacturerPartNumber,
    Barcode,
    CustomField,
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NoProductMatch {
    CreateNonInventoryItem,
    CreateInventoryItem,
    /// Park the order and queue the SKU for mapping on the dashboard.
    FlagOrder,
}

/// Matching on anything but the name needs the whole item list; past this size it is too slow.
pub const ITEM_LIST_LIMIT_FOR_FIELD_MATCHING: i32 = 5_000;

#[derive(SimpleObject, InputObject, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[graphql(input_name = "ProductSettingsInput")]
#[serde(rename_all = "camelCase")]
pub struct ProductSettings {
    pub match_by: ProductMatching,
    /// The custom field holding the SKU, for CUSTOM_FIELD.
    pub custom_field_name: Option<String>,
    pub when_no_match: NoProductMatch,
}

// ---- Step 7 ---------------------------------------------------------------------------

#[derive(SimpleObject, InputObject, Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[graphql(input_name = "NotificationSettingsInput")]
#[serde(rename_all = "camelCase")]
pub struct NotificationSettings {
    /// Comma-separated recipients.
    pub emails: String,
    pub daily_log_email: bool,
    pub notify_customer_created: bool,
    pub notify_item_created: bool,
    /// When the daily email goes, `HH:MM` on a 24-hour clock in the merchant's time zone
    /// (`setTimeZone`); 07:00 when not given.
    #[serde(default)]
    pub daily_email_time: Option<String>,
}

/// Every step's saved settings; a step not saved yet is null.
#[derive(SimpleObject, Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    pub sync_direction: Option<SyncDirectionSettings>,
    pub orders: Option<OrderSettings>,
    pub customers: Option<CustomerSettings>,
    pub accounts: Option<AccountSettings>,
    pub sales_tax: Option<SalesTaxSettings>,
    pub products: Option<ProductSettings>,
    pub notifications: Option<NotificationSettings>,
}

impl Settings {
    pub fn is_saved(&self, step: WizardStepKind) -> bool {
        match step {
            WizardStepKind::SyncDirection => self.sync_direction.is_some(),
            WizardStepKind::Orders => self.orders.is_some(),
            WizardStepKind::Customers => self.customers.is_some(),
            WizardStepKind::Accounts => self.accounts.is_some(),
            WizardStepKind::SalesTax => self.sales_tax.is_some(),
            WizardStepKind::Products => self.products.is_some(),
            WizardStepKind::Notifications => self.notifications.is_some(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_numbered_one_to_seven_in_wizard_order() {
        let numbers: Vec<i32> = WizardStepKind::ALL.iter().map(|s| s.number()).collect();
        assert_eq!(numbers, vec![1, 2, 3, 4, 5, 6, 7]);
    }

    #[test]
    fn the_numbering_rule_shows_real_examples() {
        let settings = OrderSettings {
            transaction_type: TransactionType::Invoice,
            class_name: None,
            use_store_name_as_class: false,
            terms_name: None,
            numbering: OrderNumbering::StoreOrderNumber,
            order_number_prefix: Some("WEB-".into()),
            status_filter: vec![],
            when_changed_after_sync: ChangedAfterSync::Flag,
            when_cancelled_after_sync: CancelledAfterSync::Flag,
        };
        let rule = settings.numbering_rule();
        assert!(rule.contains("WEB-1001"), "{rule}");
        assert!(rule.contains("WEB-6789012"), "{rule}");
        assert!(rule.contains("last 7 characters"), "{rule}");
    }
}

/// Accounts the Accounts step suggests from the company's chart of accounts: QuickBooks' own
/// default names first (Undeposited Funds, Inventory Asset, ...), else the only account of the
/// needed type.
#[derive(SimpleObject, Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountSuggestions {
    pub income_account: Option<String>,
    pub asset_account: Option<String>,
    pub cogs_account: Option<String>,
    pub receivable_account: Option<String>,
    pub discount_account: Option<String>,
    pub deposit_account: Option<String>,
}
