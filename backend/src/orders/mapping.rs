//! How one order becomes one QuickBooks document under a connection's settings: the
//! customer, the transaction's header and lines, items to create, the payment, and every
//! problem found before anything is sent (the "pre-flight" the order preview shows).

use rust_decimal::Decimal;
use uuid::Uuid;

use super::model::{Address, Order};
use crate::domain::{Money, RefNumber};
use crate::qbxml::transactions::{NewCustomer, QbAddress, TxnHeader, TxnKind, TxnLine, fit};
use crate::quickbooks_lists::{CachedEntry, resolve_name};
use crate::wizard::{
    CustomerNameParts, MappingRow, NoCustomerMatch, NoProductMatch, OrderNumbering, Place, ProductMatching,
    SalesTaxMode, Settings, TransactionType, customer_name, resolve_tax_code,
};

/// Items Ledgerbridge puts on every company for the parts of an order that are not products.
pub const SHIPPING_ITEM: &str = "Shipping";
pub const DISCOUNT_ITEM: &str = "Discount";
/// QuickBooks' limit for an item name.
const ITEM_NAME_MAX: usize = 31;

/// What the order needs to be mapped.
pub struct MappingContext<'a> {
    pub settings: &'a Settings,
    pub store_name: &'a str,
    /// The company's country as QuickBooks reported it (US, CA, UK).
    pub country: Option<&'a str>,
    pub items: &'a [CachedEntry],
    pub payment_methods: &'a [CachedEntry],
    pub tax_mappings: &'a [MappingRow],
    /// SKUs the merchant mapped by hand: lower-cased SKU → item full name. They win over matching.
    pub sku_mappings: &'a std::collections::HashMap<String, String>,
    /// Ledgerbridge's id for the order, sent as the transaction's ExternalGUID.
    pub order_id: Uuid,
}

/// Who the order is posted to.
#[derive(Debug, Clone)]
pub struct CustomerPlan {
    pub name: String,
    /// Created when QuickBooks has no customer by that name (and the settings allow it).
    pub new_customer: Option<NewCustomer>,
    /// When the settings say "use the single customer" if no customer matches: its name.
    pub fallback_single: Option<String>,
}

/// A customer known only by its name (the single "Web Store" customer).
pub fn named_customer(name: &str) -> NewCustomer {
    NewCustomer { name: name.to_owned(), ..NewCustomer::default() }
}

/// An item to create before the transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemPlan {
    pub name: String,
    pub description: String,
    pub inventory: bool,
    pub price: Money,
}

/// Why an order cannot go to QuickBooks as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderProblem {
    /// The merchant must act (map a SKU, add a tax mapping, finish the wizard…); the order waits.
    Parked(String),
    /// The settings say to fail such orders.
    Failed(String),
}

#[derive(Debug, Clone)]
pub struct MappedOrder {
    pub kind: TxnKind,
    /// Sales order + invoice: the invoice follows the sales order.
    pub then_invoice: bool,
    pub customer: CustomerPlan,
    pub header: TxnHeader,
    pub lines: Vec<TxnLine>,
    pub items_to_create: Vec<ItemPlan>,
    /// Invoice + payment, when the order is paid: the amount and payment method.
    pub payment: Option<(Money, Option<String>)>,
    /// SKUs with no QuickBooks item, queued for mapping when the order is parked for them.
    pub unmatched_skus: Vec<String>,
    pub problems: Vec<OrderProblem>,
    /// What a refund of this order is written with (see `refund_mapping`).
    pub for_refunds: RefundTerms,
}

/// How the order's parts were written, so that a refund credits them the same way.
#[derive(Debug, Clone, Default)]
pub struct RefundTerms {
    /// Per order line: its QuickBooks item and sales tax code (`None` when no item matched).
    pub product_lines: Vec<Option<(String, Option<String>)>>,
    pub shipping_tax_code: Option<String>,
    pub exempt_tax_code: Option<String>,
    /// The line-item tax mode's tax item.
    pub tax_item: Option<String>,
}

fn qb_address(address: &Address) -> QbAddress {
    let lines = [address.full_name(), address.company.clone(), address.address1.clone(), address.address2.clone()]
        .into_iter()
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect();
    QbAddress {
        lines,
        city: address.city.clone(),
        state: address.province_code.clone(),
        postal_code: address.zip.clone(),
        country: address.country_code.clone(),
    }
}

/// Finds the QuickBooks item for a store SKU the way the Products step says.
fn match_item<'a>(
    items: &'a [CachedEntry],
    matching: ProductMatching,
    custom_field: Option<&str>,
    sku: &str,
) -> Result<&'a CachedEntry, String> {
    let detail = |item: &CachedEntry, key: &str| {
        item.details.as_ref().and_then(|d| d.get(key)).and_then(|v| v.as_str()).map(str::to_owned)
    };
    let by_detail = |key: &dyn Fn(&CachedEntry) -> Option<String>| {
        items.iter().find(|item| item.is_active && key(item).is_some_and(|v| v.trim().eq_ignore_ascii_case(sku.trim())))
    };
    let found = match matching {
        ProductMatching::ItemName => {
            let active: Vec<&CachedEntry> = items.iter().filter(|i| i.is_active).collect();
            return resolve_name(&active, |i| i.full_name.as_str(), sku).copied().map_err(|e| e.to_string());
        }
        ProductMatching::ManufacturerPartNumber => by_detail(&|i| detail(i, "manufacturerPartNumber")),
        ProductMatching::Barcode => by_detail(&|i| detail(i, "barcode")),
        ProductMatching::CustomField => {
            let field = custom_field.unwrap_or_default().to_owned();
            by_detail(&move |i: &CachedEntry| {
                i.details
                    .as_ref()
                    .and_then(|d| d.get("customFields"))
                    .and_then(|c| c.get(&field))
                    .and_then(|v| v.as_str())
                    .map(str::to_owned)
            })
        }
    };
    found.ok_or_else(|| format!("no item has `{sku}`"))
}

/// Maps an order; every step of the wizard that matters must have been saved.
pub fn map_order(order: &Order, ctx: &MappingContext<'_>) -> MappedOrder {
    let s = ctx.settings;
    let mut problems = Vec::new();
    let (Some(orders), Some(customers), Some(accounts), Some(tax), Some(products)) =
        (&s.orders, &s.customers, &s.accounts, &s.sales_tax, &s.products)
    else {
        return MappedOrder {
            kind: TxnKind::Invoice,
            then_invoice: false,
            customer: CustomerPlan { name: String::new(), new_customer: None, fallback_single: None },
            header: TxnHeader::default(),
            lines: Vec::new(),
            items_to_create: Vec::new(),
            payment: None,
            unmatched_skus: Vec::new(),
            for_refunds: RefundTerms::default(),
            problems: vec![OrderProblem::Parked(
                "set-up is not finished: complete the configuration wizard".to_owned(),
            )],
        };
    };
    if let Some(problem) = order.arithmetic_problem() {
        problems.push(OrderProblem::Parked(problem));
    }
    let (kind, then_invoice) = match orders.transaction_type {
        TransactionType::Invoice | TransactionType::InvoiceWithPayment => (TxnKind::Invoice, false),
        TransactionType::SalesReceipt => (TxnKind::SalesReceipt, false),
        TransactionType::SalesOrder => (TxnKind::SalesOrder, false),
        TransactionType::SalesOrderWithInvoice => (TxnKind::SalesOrder, true),
        TransactionType::Estimate => (TxnKind::Estimate, false),
    };

    // The customer.
    let billing = order.billing.clone().unwrap_or_default();
    let shipping = order.shipping.clone().unwrap_or_default();
    let parts = CustomerNameParts {
        first_name: &billing.first_name,
        last_name: &billing.last_name,
        email: &order.email,
        billing_company: &billing.company,
        shipping_first_name: &shipping.first_name,
        shipping_last_name: &shipping.last_name,
        shipping_company: &shipping.company,
        store_name: ctx.store_name,
        currency: &order.currency,
        order_number: &order.number,
    };
    let single = customers.single_customer().to_owned();
    let built = customer_name(customers.matching, &parts, &single).map(|n| n.to_string());
    let customer = match (built, customers.when_no_match) {
        (Some(name), _) if name == single => {
            CustomerPlan { new_customer: Some(named_customer(&name)), name, fallback_single: None }
        }
        (Some(name), NoCustomerMatch::CreateCustomer) => CustomerPlan {
            new_customer: Some(NewCustomer {
                name: name.clone(),
                company_name: Some(billing.company.clone()).filter(|c| !c.trim().is_empty()),
                first_name: Some(billing.first_name.clone()).filter(|c| !c.trim().is_empty()),
                last_name: Some(billing.last_name.clone()).filter(|c| !c.trim().is_empty()),
                bill_address: order.billing.as_ref().map(qb_address),
                ship_address: order.shipping.as_ref().map(qb_address),
                phone: Some(if order.phone.is_empty() { billing.phone.clone() } else { order.phone.clone() })
                    .filter(|p| !p.trim().is_empty()),
                email: Some(order.email.clone()).filter(|e| !e.trim().is_empty()),
            }),
            name,
            fallback_single: None,
        },
        // These settings never create the matched customer: the sync finds out at run time
        // whether QuickBooks has it, and uses the single customer or fails the order if not.
        (Some(name), NoCustomerMatch::UseSingleCustomer) => {
            CustomerPlan { name, new_customer: None, fallback_single: Some(single.clone()) }
        }
        (Some(name), _) => CustomerPlan { name, new_customer: None, fallback_single: None },
        (None, NoCustomerMatch::UseSingleCustomer) => {
            CustomerPlan { name: single.clone(), new_customer: Some(named_customer(&single)), fallback_single: None }
        }
        (None, _) => {
            problems.push(OrderProblem::Failed(format!(
                "order {} has no name, company or email to match a QuickBooks customer by",
                order.number
            )));
            CustomerPlan { name: String::new(), new_customer: None, fallback_single: None }
        }
    };

    // Sales tax: which codes the lines carry, and the header's tax item.
    let place = Place {
        country: shipping.country_code.clone(),
        region: shipping.province_code.clone(),
        county: shipping.county.clone(),
        city: shipping.city.clone(),
    };
    let codes_only = matches!(ctx.country.map(str::to_uppercase).as_deref(), Some("CA" | "UK" | "GB"));
    let taxable = tax.taxable_code.clone().unwrap_or_else(|| "Tax".to_owned());
    let non_taxable = tax.non_taxable_code.clone().unwrap_or_else(|| "Non".to_owned());
    let mut item_sales_tax = None;
    let mut mapped_code = None;
    let mut tax_line = None;
    match tax.mode {
        SalesTaxMode::LineItem => {
            // The store's exact tax as one line; lines are non-taxable so QuickBooks adds no more.
            if !order.tax_total().is_zero() {
                tax_line = tax.tax_item.clone().map(|item| TxnLine {
                    item,
                    amount: Some(order.tax_total()),
                    ..TxnLine::default()
                });
            }
        }
        SalesTaxMode::TaxCodeMapping => match resolve_tax_code(ctx.tax_mappings, &place) {
            Some(row) if codes_only => mapped_code = Some(row.tax_code.clone()),
            Some(row) => item_sales_tax = Some(row.tax_code.clone()),
            None if order.tax_total().is_zero() => {}
            None => problems.push(OrderProblem::Parked(format!(
                "no sales tax mapping covers {}, {} {} (add one in the Sales Tax step)",
                place.city, place.region, place.country
            ))),
        },
    }
    let line_code = |line_taxable: bool| -> Option<String> {
        if codes_only {
            // Lines the store did not tax take the company's exempt code when one is set.
            match (&tax.non_taxable_code, line_taxable) {
                (Some(exempt), false) => Some(exempt.clone()),
                _ => mapped_code.clone(),
            }
        } else if tax.mode == SalesTaxMode::LineItem || !line_taxable {
            Some(non_taxable.clone())
        } else {
            Some(taxable.clone())
        }
    };

    // Lines.
    let mut lines = Vec::new();
    let mut items_to_create = Vec::new();
    let mut unmatched_skus = Vec::new();
    let mut for_refunds = RefundTerms {
        product_lines: Vec::with_capacity(order.lines.len()),
        shipping_tax_code: line_code(order.shipping_lines.iter().any(|s| !s.tax_lines.is_empty())),
        exempt_tax_code: line_code(false),
        tax_item: (tax.mode == SalesTaxMode::LineItem).then(|| tax.tax_item.clone()).flatten(),
    };
    for line in &order.lines {
        let key = if line.sku.trim().is_empty() { line.title.trim() } else { line.sku.trim() };
        let mapped_by_hand = ctx.sku_mappings.get(&key.to_lowercase()).cloned();
        let matched = match mapped_by_hand {
            Some(item) => Ok(item),
            None => match_item(ctx.items, products.match_by, products.custom_field_name.as_deref(), key)
                .map(|found| found.full_name.clone()),
        };
        let item = match matched {
            Ok(found) => Some(found),
            Err(reason) => match products.when_no_match {
                NoProductMatch::FlagOrder => {
                    unmatched_skus.push(key.to_owned());
                    problems.push(OrderProblem::Parked(format!(
                        "{reason} in QuickBooks: map the SKU to an item on the dashboard"
                    )));
                    None
                }
                create => {
                    let name = fit(&key.replace(':', "-"), ITEM_NAME_MAX);
                    if !items_to_create.iter().any(|i: &ItemPlan| i.name == name) {
                        items_to_create.push(ItemPlan {
                            name: name.clone(),
                            description: line.title.clone(),
                            inventory: create == NoProductMatch::CreateInventoryItem,
                            price: line.unit_price,
                        });
                    }
                    Some(name)
                }
            },
        };
        for_refunds.product_lines.push(item.clone().map(|item| (item, line_code(line.taxable))));
        let Some(item) = item else { continue };
        lines.push(TxnLine {
            item,
            description: Some(line.title.clone()),
            quantity: Some(line.quantity),
            rate: Some(Decimal::new(line.unit_price.cents(), 2)),
            class: None,
            amount: None,
            sales_tax_code: line_code(line.taxable),
        });
        if !line.discount.is_zero() {
            lines.push(TxnLine {
                item: DISCOUNT_ITEM.to_owned(),
                description: Some(format!("Discount on {}", line.title)),
                amount: Some(-line.discount),
                sales_tax_code: line_code(line.taxable),
                ..TxnLine::default()
            });
        }
    }
    for discount in &order.discounts {
        lines.push(TxnLine {
            item: DISCOUNT_ITEM.to_owned(),
            description: Some(format!("Discount code {}", discount.code)),
            amount: Some(-discount.amount),
            sales_tax_code: line_code(true),
            ..TxnLine::default()
        });
    }
    for ship in &order.shipping_lines {
        lines.push(TxnLine {
            item: SHIPPING_ITEM.to_owned(),
            description: Some(ship.title.clone()),
            amount: Some(ship.price),
            sales_tax_code: line_code(!ship.tax_lines.is_empty()),
            ..TxnLine::default()
        });
    }
    lines.extend(tax_line);

    // The header.
    let class =
        if orders.use_store_name_as_class { Some(ctx.store_name.to_owned()) } else { orders.class_name.clone() };
    let (ref_number, memo) = match orders.numbering {
        OrderNumbering::StoreOrderNumber => (
            Some(RefNumber::for_order(orders.order_number_prefix.as_deref().unwrap_or(""), &order.number).to_string()),
            format!("{} order {}", ctx.store_name, order.number),
        ),
        OrderNumbering::QuickbooksNextNumber => (None, format!("{} order {}", ctx.store_name, order.number)),
    };
    let payment_method = order.payment_gateway.as_deref().and_then(|gateway| {
        let active: Vec<&CachedEntry> = ctx.payment_methods.iter().filter(|p| p.is_active).collect();
        resolve_name(&active, |p| p.full_name.as_str(), gateway).ok().map(|p| p.full_name.clone())
    });
    let header = TxnHeader {
        customer: customer.name.clone(),
        class,
        ar_account: Some(accounts.receivable_account.clone()),
        txn_date: Some(order.placed_at.date_naive()),
        ref_number,
        bill_address: order.billing.as_ref().map(qb_address),
        ship_address: order.shipping.as_ref().map(qb_address),
        payment_method: payment_method.clone(),
        po_number: Some(order.number.clone()),
        terms: if kind == TxnKind::SalesReceipt { None } else { orders.terms_name.clone() },
        ship_method: None,
        item_sales_tax,
        memo: Some(memo),
        deposit_account: Some(accounts.deposit_account.clone()),
        other: Some(order.number.clone()),
        external_guid: Some(format!("{{{}}}", ctx.order_id.to_string().to_uppercase())),
        link_to_txn_id: None,
    };
    let payment = (orders.transaction_type == TransactionType::InvoiceWithPayment && order.is_paid())
        .then_some((order.total, payment_method));
    MappedOrder {
        kind,
        then_invoice,
        customer,
        header,
        lines,
        items_to_create,
        payment,
        unmatched_skus,
        problems,
        for_refunds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orders::model::tests::sample_order;
    use crate::wizard::*;

    static NO_SKU_MAPPINGS: std::sync::LazyLock<std::collections::HashMap<String, String>> =
        std::sync::LazyLock::new(std::collections::HashMap::new);

    fn entry(full_name: &str, details: Option<serde_json::Value>) -> CachedEntry {
        CachedEntry {
            id: 0,
            connection_id: Uuid::nil(),
            kind: "ITEM".into(),
            list_id: "1".into(),
            full_name: full_name.into(),
            name: full_name.rsplit(':').next().unwrap_or(full_name).into(),
            parent_full_name: None,
            subtype: Some("Inventory".into()),
            is_active: true,
            details,
        }
    }

    fn settings(transaction_type: TransactionType, mode: SalesTaxMode, when_no_match: NoProductMatch) -> Settings {
        Settings {
            sync_direction: Some(SyncDirectionSettings {
                direction: SyncDirection::ToQuickbooks,
                sync_inventory: false,
            }),
            orders: Some(OrderSettings {
                transaction_type,
                class_name: Some("Web".into()),
                use_store_name_as_class: false,
                terms_name: Some("Net 30".into()),
                numbering: OrderNumbering::StoreOrderNumber,
                order_number_prefix: Some("WEB-".into()),
                status_filter: vec![],
                when_changed_after_sync: ChangedAfterSync::Flag,
                when_cancelled_after_sync: CancelledAfterSync::Flag,
            }),
            customers: Some(CustomerSettings {
                matching: CustomerMatching::LastFirst,
                single_customer_name: Some("Web Store".into()),
                when_no_match: NoCustomerMatch::CreateCustomer,
            }),
            accounts: Some(AccountSettings {
                income_account: "Sales".into(),
                asset_account: None,
                cogs_account: None,
                receivable_account: "Accounts Receivable".into(),
                discount_account: None,
                deposit_account: "Undeposited Funds".into(),
            }),
            sales_tax: Some(SalesTaxSettings {
                mode,
                tax_item: Some("NY State Tax".into()),
                taxable_code: Some("Tax".into()),
                non_taxable_code: Some("Non".into()),
            }),
            products: Some(ProductSettings {
                match_by: ProductMatching::ItemName,
                custom_field_name: None,
                when_no_match,
            }),
            notifications: None,
        }
    }

    fn context<'a>(
        settings: &'a Settings,
        items: &'a [CachedEntry],
        methods: &'a [CachedEntry],
        mappings: &'a [MappingRow],
    ) -> MappingContext<'a> {
        MappingContext {
            settings,
            store_name: "My Shop",
            country: Some("US"),
            items,
            payment_methods: methods,
            tax_mappings: mappings,
            sku_mappings: &NO_SKU_MAPPINGS,
            order_id: Uuid::nil(),
        }
    }

    #[test]
    fn a_paid_order_becomes_an_invoice_with_its_payment() {
        let s = settings(
            TransactionType::InvoiceWithPayment,
            SalesTaxMode::LineItem,
            NoProductMatch::CreateNonInventoryItem,
        );
        let items = [entry("Tools:Hammer", None)];
        let methods = [entry("Visa", None)];
        let mapped = map_order(&sample_order(), &context(&s, &items, &methods, &[]));
        assert!(mapped.problems.is_empty(), "{:?}", mapped.problems);
        assert_eq!(mapped.kind, TxnKind::Invoice);
        assert_eq!(mapped.customer.name, "Smith, Ann");
        assert_eq!(mapped.customer.new_customer.as_ref().unwrap().company_name.as_deref(), Some("Acme Ltd"));
        assert_eq!(mapped.header.ref_number.as_deref(), Some("WEB-1001"));
        assert_eq!(mapped.header.payment_method.as_deref(), Some("Visa"));
        assert_eq!(mapped.payment, Some((sample_order().total, Some("Visa".into()))));
        let items: Vec<&str> = mapped.lines.iter().map(|l| l.item.as_str()).collect();
        assert_eq!(items, vec!["Tools:Hammer", "GIFT-WRAP", "Discount", "Discount", "Shipping", "NY State Tax"]);
        assert_eq!(
            mapped.items_to_create,
            vec![ItemPlan {
                name: "GIFT-WRAP".into(),
                description: "Gift wrap".into(),
                inventory: false,
                price: Money::from_cents(500)
            }]
        );
        assert!(
            mapped.lines[..5].iter().all(|l| l.sales_tax_code.as_deref() == Some("Non")),
            "line-item tax: QuickBooks adds none"
        );
        assert_eq!(mapped.lines[5].amount, Some(Money::from_cents(160)));
    }

    #[test]
    fn an_unknown_sku_parks_the_order_when_the_settings_say_flag() {
        let s = settings(TransactionType::SalesReceipt, SalesTaxMode::LineItem, NoProductMatch::FlagOrder);
        let items = [entry("Tools:Hammer", None)];
        let mapped = map_order(&sample_order(), &context(&s, &items, &[], &[]));
        assert_eq!(mapped.unmatched_skus, vec!["GIFT-WRAP"]);
        assert!(matches!(&mapped.problems[0], OrderProblem::Parked(m) if m.contains("GIFT-WRAP")));
        assert_eq!(mapped.header.terms, None, "sales receipts have no terms");
    }

    #[test]
    fn tax_code_mapping_puts_the_mapped_item_on_the_header() {
        let s =
            settings(TransactionType::Invoice, SalesTaxMode::TaxCodeMapping, NoProductMatch::CreateNonInventoryItem);
        let items = [entry("Tools:Hammer", None)];
        let mappings = [MappingRow::normalized("US", "NY", "", "New York", "NYC Combined")];
        let mapped = map_order(&sample_order(), &context(&s, &items, &[], &mappings));
        assert!(mapped.problems.is_empty(), "{:?}", mapped.problems);
        assert_eq!(mapped.header.item_sales_tax.as_deref(), Some("NYC Combined"));
        assert_eq!(mapped.lines[0].sales_tax_code.as_deref(), Some("Tax"));
        assert_eq!(mapped.lines[1].sales_tax_code.as_deref(), Some("Non"), "the gift wrap is not taxable");
        let unmapped = map_order(&sample_order(), &context(&s, &items, &[], &[]));
        assert!(
            matches!(&unmapped.problems[0], OrderProblem::Parked(m) if m.contains("no sales tax mapping covers New York, NY US"))
        );
    }

    #[test]
    fn items_are_found_by_part_number_or_custom_field_when_asked() {
        let items = [entry(
            "Hammer 16oz",
            Some(serde_json::json!({ "manufacturerPartNumber": "hammer", "customFields": { "Web SKU": "GIFT-WRAP" } })),
        )];
        let found = match_item(&items, ProductMatching::ManufacturerPartNumber, None, "HAMMER").unwrap();
        assert_eq!(found.full_name, "Hammer 16oz");
        let by_field = match_item(&items, ProductMatching::CustomField, Some("Web SKU"), "gift-wrap").unwrap();
        assert_eq!(by_field.full_name, "Hammer 16oz");
        assert!(match_item(&items, ProductMatching::Barcode, None, "hammer").is_err());
    }

    #[test]
    fn an_order_that_does_not_add_up_is_parked_and_an_unfinished_setup_maps_nothing() {
        let s = settings(TransactionType::Invoice, SalesTaxMode::LineItem, NoProductMatch::CreateNonInventoryItem);
        let mut order = sample_order();
        order.total = Money::from_cents(1);
        let mapped = map_order(&order, &context(&s, &[], &[], &[]));
        assert!(mapped.problems.iter().any(|p| matches!(p, OrderProblem::Parked(m) if m.contains("add up to"))));
        let empty = Settings::default();
        let unmapped = map_order(&sample_order(), &context(&empty, &[], &[], &[]));
        assert!(matches!(&unmapped.problems[0], OrderProblem::Parked(m) if m.contains("wizard")));
    }
}
