use serde::{Deserialize, Serialize};

/// The QuickBooks lists Ledgerbridge reads and caches.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ListKind {
    Account,
    Class,
    Terms,
    SalesTaxItem,
    SalesTaxGroup,
    SalesTaxCode,
    PaymentMethod,
    ShipMethod,
    Item,
    Customer,
}

impl ListKind {
    pub const ALL: [ListKind; 10] = [
        ListKind::Account,
        ListKind::Class,
        ListKind::Terms,
        ListKind::SalesTaxItem,
        ListKind::SalesTaxGroup,
        ListKind::SalesTaxCode,
        ListKind::PaymentMethod,
        ListKind::ShipMethod,
        ListKind::Item,
        ListKind::Customer,
    ];

    /// How the merchant would say it.
    pub fn label(self) -> &'static str {
        match self {
            ListKind::Account => "accounts",
            ListKind::Class => "classes",
            ListKind::Terms => "terms",
            ListKind::SalesTaxItem => "sales tax items",
            ListKind::SalesTaxGroup => "sales tax groups",
            ListKind::SalesTaxCode => "sales tax codes",
            ListKind::PaymentMethod => "payment methods",
            ListKind::ShipMethod => "ship methods",
            ListKind::Item => "items",
            ListKind::Customer => "customers",
        }
    }
}

/// QuickBooks' `AccountType` values, spelled as qbXML spells them in storage.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AccountType {
    AccountsPayable,
    AccountsReceivable,
    Bank,
    CostOfGoodsSold,
    CreditCard,
    Equity,
    Expense,
    FixedAsset,
    Income,
    LongTermLiability,
    NonPosting,
    OtherAsset,
    OtherCurrentAsset,
    OtherCurrentLiability,
    OtherExpense,
    OtherIncome,
}

impl AccountType {
    /// The qbXML spelling, e.g. `OtherCurrentAsset`.
    pub fn qbxml_name(self) -> String {
        crate::db_enum::to_db(&self)
    }

    pub fn from_qbxml(text: &str) -> Option<Self> {
        crate::db_enum::from_db(text)
    }

    /// How QuickBooks shows it on screen.
    pub fn label(self) -> &'static str {
        match self {
            AccountType::AccountsPayable => "Accounts Payable",
            AccountType::AccountsReceivable => "Accounts Receivable",
            AccountType::Bank => "Bank",
            AccountType::CostOfGoodsSold => "Cost of Goods Sold",
            AccountType::CreditCard => "Credit Card",
            AccountType::Equity => "Equity",
            AccountType::Expense => "Expense",
            AccountType::FixedAsset => "Fixed Asset",
            AccountType::Income => "Income",
            AccountType::LongTermLiability => "Long Term Liability",
            AccountType::NonPosting => "Non-Posting",
            AccountType::OtherAsset => "Other Asset",
            AccountType::OtherCurrentAsset => "Other Current Asset",
            AccountType::OtherCurrentLiability => "Other Current Liability",
            AccountType::OtherExpense => "Other Expense",
            AccountType::OtherIncome => "Other Income",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_types_round_trip_through_their_qbxml_spelling() {
        assert_eq!(AccountType::OtherCurrentAsset.qbxml_name(), "OtherCurrentAsset");
        assert_eq!(AccountType::from_qbxml("CostOfGoodsSold"), Some(AccountType::CostOfGoodsSold));
        assert_eq!(AccountType::from_qbxml("Nonsense"), None);
    }

    #[test]
    fn list_kinds_are_stored_by_their_graphql_names() {
        assert_eq!(crate::db_enum::to_db(&ListKind::SalesTaxItem), "SALES_TAX_ITEM");
        assert_eq!(crate::db_enum::from_db::<ListKind>("SHIP_METHOD"), Some(ListKind::ShipMethod));
    }
}
