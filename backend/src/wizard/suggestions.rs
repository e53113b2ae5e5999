//! Suggested choices for the Accounts step, read from the cached chart of accounts.

use super::steps::AccountSuggestions;
use crate::quickbooks_lists::{AccountType, CachedEntry};

/// Picks, for each account the wizard needs, the active account QuickBooks itself would use:
/// one of its usual names first, else the only account of that type.
pub fn suggest_accounts(accounts: &[CachedEntry]) -> AccountSuggestions {
    let pick = |types: &[AccountType], usual_names: &[&str]| -> Option<String> {
        let of_type: Vec<&CachedEntry> = accounts
            .iter()
            .filter(|a| a.is_active)
            .filter(|a| a.subtype.as_deref().and_then(AccountType::from_qbxml).is_some_and(|t| types.contains(&t)))
            .collect();
        let by_name = usual_names.iter().find_map(|usual| {
            of_type.iter().find(|a| a.name.eq_ignore_ascii_case(usual) || a.full_name.eq_ignore_ascii_case(usual))
        });
        match (by_name, of_type.as_slice()) {
            (Some(found), _) => Some(found.full_name.clone()),
            (None, [only]) => Some(only.full_name.clone()),
            _ => None,
        }
    };
    use AccountType::*;
    AccountSuggestions {
        income_account: pick(&[Income], &["Sales", "Sales Income", "Merchandise Sales", "Online Sales"]),
        asset_account: pick(&[OtherCurrentAsset], &["Inventory Asset"]),
        cogs_account: pick(&[CostOfGoodsSold], &["Cost of Goods Sold"]),
        receivable_account: pick(&[AccountsReceivable], &["Accounts Receivable"]),
        discount_account: pick(
            &[Income, OtherIncome, Expense, OtherExpense],
            &["Discounts Given", "Sales Discounts", "Discounts"],
        ),
        deposit_account: pick(&[OtherCurrentAsset, Bank], &["Undeposited Funds"]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(full_name: &str, kind: &str) -> CachedEntry {
        CachedEntry {
            id: 0,
            connection_id: uuid::Uuid::nil(),
            kind: "ACCOUNT".into(),
            list_id: "1".into(),
            full_name: full_name.into(),
            name: full_name.rsplit(':').next().unwrap_or(full_name).into(),
            parent_full_name: None,
            subtype: Some(kind.into()),
            is_active: true,
            details: None,
        }
    }

    #[test]
    fn quickbooks_default_accounts_are_suggested() {
        let chart = vec![
            account("Checking", "Bank"),
            account("Savings", "Bank"),
            account("Undeposited Funds", "OtherCurrentAsset"),
            account("Inventory Asset", "OtherCurrentAsset"),
            account("Revenue:Sales", "Income"),
            account("Revenue:Services", "Income"),
            account("A/R", "AccountsReceivable"),
            account("Cost of Goods Sold", "CostOfGoodsSold"),
        ];
        let s = suggest_accounts(&chart);
        assert_eq!(s.deposit_account.as_deref(), Some("Undeposited Funds"));
        assert_eq!(s.asset_account.as_deref(), Some("Inventory Asset"));
        assert_eq!(s.income_account.as_deref(), Some("Revenue:Sales"), "a sub-account is found by its own name");
        assert_eq!(s.receivable_account.as_deref(), Some("A/R"), "the only account of its type");
        assert_eq!(s.cogs_account.as_deref(), Some("Cost of Goods Sold"));
        assert_eq!(s.discount_account, None, "two income accounts and no usual discount name: no guess");
    }

    #[test]
    fn nothing_is_suggested_before_the_lists_are_read() {
        assert_eq!(suggest_accounts(&[]), AccountSuggestions::default());
    }
}
