//! The Frequently Asked Questions shown beside each wizard step. Served by the backend so
//! the dashboard and partner tools show the same answers.

use super::steps::WizardStepKind;

pub fn for_step(step: WizardStepKind) -> &'static [(&'static str, &'static str)] {
    match step {
        WizardStepKind::SyncDirection => &[
            (
                "Which direction should I choose?",
                "Choose \"to QuickBooks\" when your web store takes the orders and QuickBooks keeps the books: \
                 every new order becomes a QuickBooks transaction. Choose \"from QuickBooks\" when sales are \
                 entered in QuickBooks and you want them on the store side.",
            ),
            (
                "What does syncing inventory do?",
                "After each Web Connector run, the quantity on hand of every QuickBooks item whose name matches a \
                 store SKU is sent back to your store, so the store never sells what you do not have.",
            ),
        ],
        WizardStepKind::Orders => &[
            (
                "Invoice or sales receipt?",
                "Use a sales receipt when the store has already taken the money (card payments). Use an invoice \
                 when the customer pays later; \"invoice + payment\" records the payment too as soon as the order \
                 is paid.",
            ),
            (
                "Which number will the transaction get?",
                "Either the store's order number (with your prefix, at most 11 characters in all, as QuickBooks \
                 requires) or QuickBooks' own next number, with the store's number in the memo.",
            ),
            (
                "What is the order status filter?",
                "Only orders in one of the listed statuses are sent, for example paid,fulfilled. Leave it empty \
                 to send every order.",
            ),
        ],
        WizardStepKind::Customers => &[
            (
                "Should every order get its own customer?",
                "Most stores match by name (\"Last, First\") so repeat buyers land on one customer. Choose the \
                 single customer option to post every order to one customer such as \"Web Store\".",
            ),
            (
                "What happens with very long names?",
                "QuickBooks allows 41 characters. Longer names are shortened the same way every time, so a repeat \
                 buyer always matches the same customer; the rule and an example are shown under the choice.",
            ),
        ],
        WizardStepKind::Accounts => &[
            (
                "Why do you need these accounts?",
                "Items Ledgerbridge creates need an income account (and, for inventory items, an asset and a cost \
                 of goods sold account). Invoices post to accounts receivable; payments and sales receipts are \
                 deposited to the deposit account.",
            ),
            (
                "Which deposit account should I use?",
                "Undeposited Funds, unless your payment provider pays each order straight into a bank account: \
                 card payouts arrive in batches, and Undeposited Funds lets you group them as the bank shows them.",
            ),
        ],
        WizardStepKind::SalesTax => &[
            (
                "Line item or tax codes?",
                "US companies can post the order's tax as one line with a sales tax item. Mapping assigns a tax \
                 code (or item) by the shipping address: the city first, then the county, then the state. \
                 Canadian and UK companies always use their tax codes.",
            ),
            (
                "How do I import many mappings?",
                "Upload a CSV file whose first line is City,Region,Country,TaxCode,County. Leave City and County \
                 empty for a state-wide rule; each bad line is reported with its line number.",
            ),
        ],
        WizardStepKind::Products => &[
            (
                "How are store products found in QuickBooks?",
                "By default the store SKU is the QuickBooks item name; a sub-item is found by its own name \
                 (Hammer finds Tools:Hammer) unless two parents share it, when you will be asked for the full \
                 name. Matching by manufacturer part number, barcode or a custom field needs an item list under \
                 5,000 items.",
            ),
            (
                "What if a product is not in QuickBooks?",
                "Ledgerbridge can create it (as a non-inventory or an inventory item, with the accounts from the \
                 Accounts step), or hold the order and list the SKU on your dashboard for you to map.",
            ),
        ],
        WizardStepKind::Notifications => &[
            (
                "Who receives the emails?",
                "Everyone in the comma-separated list. The daily email summarises the transaction log: orders \
                 synced, failed and held, with what to do about each failure.",
            ),
            (
                "When does the daily email arrive?",
                "At the time you choose (07:00 unless you say otherwise), in your own time zone. If the server was \
                 down at that moment, the email goes as soon as it is back, once.",
            ),
            (
                "Will I hear when something goes wrong?",
                "Yes: when the Web Connector misses three of its scheduled runs you get one email, and another when \
                 it calls again. Use \"Send a test email\" to check the address works.",
            ),
            (
                "Can I change this later?",
                "Yes. No setting is locked in: reopen any step from the dashboard with Manage.",
            ),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_answers_at_least_two_questions() {
        for step in WizardStepKind::ALL {
            assert!(for_step(step).len() >= 2, "{step:?}");
        }
    }
}
