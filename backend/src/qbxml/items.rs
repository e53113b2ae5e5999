//! Writing the requests that create items: the store's products Ledgerbridge may create, and
//! the Shipping and Discount items every order with those parts needs.

use rust_decimal::Decimal;

use super::request::{element, text_element};
use super::transactions::fit;

/// QuickBooks' limit for an item name.
pub const ITEM_NAME_MAX: usize = 31;

/// An item to create, by the kind QuickBooks needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewItem {
    /// A product sold but not tracked: one income account.
    NonInventory {
        name: String,
        description: String,
        price: Decimal,
        income_account: String,
        sales_tax_code: Option<String>,
    },
    /// A tracked product: QuickBooks needs all three accounts.
    Inventory {
        name: String,
        description: String,
        price: Decimal,
        income_account: String,
        cogs_account: String,
        asset_account: String,
        sales_tax_code: Option<String>,
    },
    /// Shipping, handling and other charges.
    OtherCharge { name: String, description: String, income_account: String, sales_tax_code: Option<String> },
    /// Discounts: a negative amount on the transaction.
    Discount { name: String, description: String, account: String, sales_tax_code: Option<String> },
}

fn full_name_ref(name: &str, full_name: &str) -> String {
    element(name, &[], &text_element("FullName", full_name))
}

fn tax_code(code: &Option<String>) -> String {
    code.as_deref().map(|c| full_name_ref("SalesTaxCodeRef", &fit(c, 3))).unwrap_or_default()
}

fn price(value: Decimal) -> String {
    value.round_dp(5).normalize().to_string()
}

/// The `…AddRq` that creates the item.
pub fn item_add(request_id: &str, item: &NewItem) -> String {
    let (element_name, body) = match item {
        NewItem::NonInventory { name, description, price: p, income_account, sales_tax_code } => {
            let sales = text_element("Desc", &fit(description, 4095))
                + &text_element("Price", &price(*p))
                + &full_name_ref("AccountRef", income_account);
            (
                "ItemNonInventoryAdd",
                text_element("Name", &fit(name, ITEM_NAME_MAX))
                    + &tax_code(sales_tax_code)
                    + &element("SalesOrPurchase", &[], &sales),
            )
        }
        NewItem::Inventory {
            name,
            description,
            price: p,
            income_account,
            cogs_account,
            asset_account,
            sales_tax_code,
        } => (
            "ItemInventoryAdd",
            text_element("Name", &fit(name, ITEM_NAME_MAX))
                + &tax_code(sales_tax_code)
                + &text_element("SalesDesc", &fit(description, 4095))
                + &text_element("SalesPrice", &price(*p))
                + &full_name_ref("IncomeAccountRef", income_account)
                + &full_name_ref("COGSAccountRef", cogs_account)
                + &full_name_ref("AssetAccountRef", asset_account),
        ),
        NewItem::OtherCharge { name, description, income_account, sales_tax_code } => {
            let sales = text_element("Desc", &fit(description, 4095)) + &full_name_ref("AccountRef", income_account);
            (
                "ItemOtherChargeAdd",
                text_element("Name", &fit(name, ITEM_NAME_MAX))
                    + &tax_code(sales_tax_code)
                    + &element("SalesOrPurchase", &[], &sales),
            )
        }
        NewItem::Discount { name, description, account, sales_tax_code } => (
            "ItemDiscountAdd",
            text_element("Name", &fit(name, ITEM_NAME_MAX))
                + &text_element("ItemDesc", &fit(description, 4095))
                + &tax_code(sales_tax_code)
                + &full_name_ref("AccountRef", account),
        ),
    };
    element(&format!("{element_name}Rq"), &[("requestID", request_id)], &element(element_name, &[], &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_sku_is_cut_to_the_item_name_limit() {
        let request = item_add(
            "i",
            &NewItem::NonInventory {
                name: "A-VERY-LONG-STORE-SKU-THAT-GOES-ON-AND-ON".into(),
                description: "Widget".into(),
                price: Decimal::new(1999, 2),
                income_account: "Sales".into(),
                sales_tax_code: None,
            },
        );
        assert!(request.contains("<Name>A-VERY-LONG-STORE-SKU-THAT-GOES</Name>"), "{request}");
        assert!(request.contains("<Price>19.99</Price>"));
    }
}
