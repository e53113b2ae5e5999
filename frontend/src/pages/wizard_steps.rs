//! What each of the seven steps asks, as data: the form is drawn from it, the saved settings
//! fill it, and the mutation's input is built from it.

/// How a field is asked and sent.
#[derive(Clone, Copy, PartialEq)]
pub enum Kind {
    /// One of fixed options: (value sent, label shown).
    Choice(&'static [(&'static str, &'static str)]),
    Yes,
    Text,
    /// A name from the company's QuickBooks list (`ListKind`), accounts narrowed to types.
    Quickbooks(&'static str, &'static [&'static str]),
    /// Comma-separated, sent as a list.
    Words,
}

#[derive(Clone, Copy, PartialEq)]
pub struct Field {
    /// The input field's name in GraphQL.
    pub name: &'static str,
    pub label: &'static str,
    pub kind: Kind,
    pub required: bool,
}

const fn field(name: &'static str, label: &'static str, kind: Kind, required: bool) -> Field {
    Field { name, label, kind, required }
}

#[derive(Clone, Copy, PartialEq)]
pub struct Step {
    /// `WizardStepKind`.
    pub kind: &'static str,
    /// The step's key in `settings`.
    pub settings_key: &'static str,
    pub fields: &'static [Field],
}

pub const STEPS: [Step; 7] = [
    Step {
        kind: "SYNC_DIRECTION",
        settings_key: "syncDirection",
        fields: &[
            field(
                "direction",
                "Sync direction",
                Kind::Choice(&[
                    ("TO_QUICKBOOKS", "Store orders into QuickBooks"),
                    ("FROM_QUICKBOOKS", "QuickBooks sales out to the store side"),
                ]),
                true,
            ),
            field("syncInventory", "Send quantities on hand from QuickBooks to the store", Kind::Yes, true),
        ],
    },
    Step {
        kind: "ORDERS",
        settings_key: "orders",
        fields: &[
            field(
                "transactionType",
                "Create each order in QuickBooks as",
                Kind::Choice(&[
                    ("INVOICE", "Invoice"),
                    ("INVOICE_WITH_PAYMENT", "Invoice, with its payment when paid"),
                    ("SALES_RECEIPT", "Sales receipt"),
                    ("SALES_ORDER", "Sales order"),
                    ("SALES_ORDER_WITH_INVOICE", "Sales order and invoice"),
                    ("ESTIMATE", "Estimate"),
                ]),
                true,
            ),
            field("className", "Class", Kind::Quickbooks("CLASS", &[]), false),
            field("useStoreNameAsClass", "Use the store's name as the class", Kind::Yes, true),
            field("termsName", "Terms", Kind::Quickbooks("TERMS", &[]), false),
            field(
                "numbering",
                "Numbering",
                Kind::Choice(&[
                    ("STORE_ORDER_NUMBER", "The store's order number"),
                    ("QUICKBOOKS_NEXT_NUMBER", "QuickBooks' next number (the store's goes in the memo)"),
                ]),
                true,
            ),
            field("orderNumberPrefix", "Order number prefix (at most 11 characters in all)", Kind::Text, false),
            field(
                "statusFilter",
                "Only orders with these statuses (comma-separated, e.g. paid, fulfilled)",
                Kind::Words,
                false,
            ),
            field(
                "whenChangedAfterSync",
                "When an order changes after it reached QuickBooks",
                Kind::Choice(&[("FLAG", "Flag it in the log"), ("REPOST", "Re-post it (delete and add again)")]),
                true,
            ),
            field(
                "whenCancelledAfterSync",
                "When an order is cancelled after it reached QuickBooks",
                Kind::Choice(&[("FLAG", "Flag it in the log"), ("VOID", "Void it in QuickBooks")]),
                true,
            ),
        ],
    },
    Step {
        kind: "CUSTOMERS",
        settings_key: "customers",
        fields: &[
            field(
                "matching",
                "Find the QuickBooks customer by",
                Kind::Choice(&[
                    ("LAST_FIRST", "Last, First"),
                    ("FIRST_LAST", "First Last"),
                    ("SINGLE_CUSTOMER", "One customer for every order"),
                    ("BILLING_COMPANY_ELSE_FIRST_LAST", "Billing company, else First Last"),
                    ("BILLING_COMPANY_ELSE_LAST_FIRST", "Billing company, else Last, First"),
                    ("BILLING_COMPANY_ELSE_SINGLE_CUSTOMER", "Billing company, else the single customer"),
                    ("LAST_FIRST_EMAIL", "Last, First, Email"),
                    ("FIRST_LAST_EMAIL", "First, Last, Email"),
                    ("STORE_NAME", "The store's name"),
                    ("STORE_NAME_CURRENCY", "The store's name and currency"),
                    ("ORDER_NUMBER", "The order number"),
                    ("SHIPPING_COMPANY_ELSE_FIRST_LAST", "Shipping company, else First, Last"),
                    ("SHIPPING_COMPANY_ELSE_LAST_FIRST", "Shipping company, else Last, First"),
                    ("SHIPPING_LAST_FIRST", "Shipping Last, First"),
                    ("BILLING_EMAIL", "Billing email"),
                ]),
                true,
            ),
            field("singleCustomerName", "The single customer's name (default \"Web Store\")", Kind::Text, false),
            field(
                "whenNoMatch",
                "When no customer matches",
                Kind::Choice(&[
                    ("CREATE_CUSTOMER", "Create the customer"),
                    ("FAIL_ORDER", "Fail the order"),
                    ("USE_SINGLE_CUSTOMER", "Use the single customer"),
                ]),
                true,
            ),
        ],
    },
    Step {
        kind: "ACCOUNTS",
        settings_key: "accounts",
        fields: &[
            field(
                "incomeAccount",
                "Item income account",
                Kind::Quickbooks("ACCOUNT", &["INCOME", "OTHER_INCOME"]),
                true,
            ),
            field("assetAccount", "Item asset account", Kind::Quickbooks("ACCOUNT", &["OTHER_CURRENT_ASSET"]), false),
            field(
                "cogsAccount",
                "Cost of goods sold account",
                Kind::Quickbooks("ACCOUNT", &["COST_OF_GOODS_SOLD"]),
                false,
            ),
            field(
                "receivableAccount",
                "Accounts receivable",
                Kind::Quickbooks("ACCOUNT", &["ACCOUNTS_RECEIVABLE"]),
                true,
            ),
            field(
                "discountAccount",
                "Discount account",
                Kind::Quickbooks("ACCOUNT", &["INCOME", "EXPENSE", "OTHER_INCOME", "OTHER_EXPENSE"]),
                false,
            ),
            field(
                "depositAccount",
                "Deposit account for payments",
                Kind::Quickbooks("ACCOUNT", &["BANK", "OTHER_CURRENT_ASSET"]),
                true,
            ),
        ],
    },
    Step {
        kind: "SALES_TAX",
        settings_key: "salesTax",
        fields: &[
            field(
                "mode",
                "Sales tax",
                Kind::Choice(&[
                    ("LINE_ITEM", "One tax line item"),
                    ("TAX_CODE_MAPPING", "Tax codes by city, county, state"),
                ]),
                true,
            ),
            field("taxItem", "Sales tax item (one line item)", Kind::Quickbooks("SALES_TAX_ITEM", &[]), false),
            field("taxableCode", "Code for taxable lines", Kind::Quickbooks("SALES_TAX_CODE", &[]), false),
            field("nonTaxableCode", "Code for non-taxable lines", Kind::Quickbooks("SALES_TAX_CODE", &[]), false),
        ],
    },
    Step {
        kind: "PRODUCTS",
        settings_key: "products",
        fields: &[
            field(
                "matchBy",
                "Match the store SKU to",
                Kind::Choice(&[
                    ("ITEM_NAME", "The item name"),
                    ("MANUFACTURER_PART_NUMBER", "The manufacturer's part number"),
                    ("BARCODE", "The barcode"),
                    ("CUSTOM_FIELD", "A custom field"),
                ]),
                true,
            ),
            field("customFieldName", "Custom field's name", Kind::Text, false),
            field(
                "whenNoMatch",
                "When no item matches",
                Kind::Choice(&[
                    ("CREATE_NON_INVENTORY_ITEM", "Create a non-inventory item"),
                    ("CREATE_INVENTORY_ITEM", "Create an inventory item"),
                    ("FLAG_ORDER", "Hold the order and list the SKU for mapping"),
                ]),
                true,
            ),
        ],
    },
    Step {
        kind: "NOTIFICATIONS",
        settings_key: "notifications",
        fields: &[
            field("emails", "Email addresses (comma-separated)", Kind::Text, true),
            field("dailyLogEmail", "Email the transaction log daily", Kind::Yes, true),
            field("dailyEmailTime", "At (HH:MM, your time zone)", Kind::Text, false),
            field("notifyCustomerCreated", "Tell me when Ledgerbridge creates customers", Kind::Yes, true),
            field("notifyItemCreated", "Tell me when Ledgerbridge creates items", Kind::Yes, true),
        ],
    },
];
