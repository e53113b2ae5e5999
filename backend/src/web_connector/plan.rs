//! What a Web Connector session does, as a persisted plan of steps. Each answer from
//! QuickBooks moves the plan on; reading is idempotent, so a lost answer just means asking again.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::order_sync::OrderStage;
use super::refund_sync::RefundStage;
use crate::qbxml::lists::{
    INVENTORY_REQUEST_ID, ITEM_COUNT_REQUEST_ID, ITEM_PAGE, InventoryLevel, LISTS_READ, Page, entries_from,
    inventory_levels, inventory_query, item_count_query, list_query,
};
use crate::qbxml::sales::{QbSale, SALES_READ, modified_sales_query, sales_from};
use crate::qbxml::{OnError, QbxmlResponse, QbxmlVersion, RequestDocument, ResponseStatus};
use crate::quickbooks_lists::{ListKind, NewListEntry};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "camelCase")]
pub enum Step {
    /// Every list but items, in one message set.
    ReadLists,
    /// The item list, page by page through a QuickBooks iterator.
    ReadItems { iterator_id: Option<String>, read: u32 },
    /// The orders to send, taken one at a time from the database in the order they arrived
    /// (`after` the last one taken): the plan, saved on every call, stays small however many
    /// orders a run sends.
    SendOrders { after: Option<Uuid> },
    /// One order, in two round trips (see `order_sync`).
    SyncOrder { order_id: Uuid, stage: OrderStage },
    /// One refund, as a credit memo, in two round trips (see `refund_sync`).
    SyncRefund { refund_id: Uuid, stage: RefundStage },
    /// Quantities on hand changed since `since` (all when `None`), page by page.
    ReadInventory { since: Option<DateTime<Utc>>, iterator_id: Option<String> },
    /// Sales of one kind changed in QuickBooks since `since`, page by page.
    ReadSales { kind: String, since: Option<DateTime<Utc>>, iterator_id: Option<String> },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub steps: VecDeque<Step>,
    /// Round trips done and expected, for the progress the Web Connector shows.
    pub done: u32,
    pub expected: u32,
    /// Whether this session reads the lists, and how many orders it was given.
    #[serde(default)]
    pub reads_lists: bool,
    #[serde(default)]
    pub orders: u32,
}

impl Plan {
    /// A session that reads the lists (when asked), then deletes what undoOrder asked for (one
    /// round trip each), then sends the pending orders (`orders` of them expected), oldest
    /// first, then `refunds` (after their orders).
    pub fn new(read_lists: bool, undos: Vec<Uuid>, orders: usize, refunds: Vec<Uuid>) -> Self {
        let mut steps = VecDeque::new();
        if read_lists {
            steps.push_back(Step::ReadLists);
            steps.push_back(Step::ReadItems { iterator_id: None, read: 0 });
        }
        let count = orders as u32;
        let undo_count = undos.len() as u32;
        steps.extend(undos.into_iter().map(|order_id| Step::SyncOrder { order_id, stage: OrderStage::Undo }));
        if orders > 0 {
            steps.push_back(Step::SendOrders { after: None });
        }
        let refund_count = refunds.len() as u32;
        steps.extend(refunds.into_iter().map(|refund_id| Step::SyncRefund { refund_id, stage: RefundStage::Check }));
        Self {
            steps,
            done: 0,
            expected: if read_lists { 2 } else { 0 } + 2 * count + undo_count + 2 * refund_count,
            reads_lists: read_lists,
            orders: count,
        }
    }

    /// Reads the quantities on hand changed since `since` after everything else.
    pub fn read_inventory(&mut self, since: Option<DateTime<Utc>>) {
        self.steps.push_back(Step::ReadInventory { since, iterator_id: None });
        self.expected += 1;
    }

    /// Reads the sales receipts, invoices and sales orders changed since `since`.
    pub fn read_sales(&mut self, since: Option<DateTime<Utc>>) {
        for kind in SALES_READ {
            self.steps.push_back(Step::ReadSales { kind: kind.to_owned(), since, iterator_id: None });
            self.expected += 1;
        }
    }

    /// The order step in front has moved on: to its next stage, or it is done.
    pub fn complete_order_step(&mut self, next: Option<OrderStage>) {
        let Some(Step::SyncOrder { order_id, stage }) = self.steps.pop_front() else { return };
        match next {
            Some(next) => {
                self.done += 1;
                // A sales order's invoice is a third round trip nobody counted on.
                if matches!(next, OrderStage::Invoice { .. }) && stage != OrderStage::Check {
                    self.expected += 1;
                }
                self.steps.push_front(Step::SyncOrder { order_id, stage: next });
            }
            // Done after one round trip (linked, or failed at the check): it needed no second.
            None if stage == OrderStage::Check => self.done += 2,
            None => self.done += 1,
        }
    }

    /// Where the order queue in front stands: `Some(after)` when the next step is to take the
    /// next pending order after `after` from the database.
    pub fn order_queue(&self) -> Option<Option<Uuid>> {
        match self.steps.front() {
            Some(Step::SendOrders { after }) => Some(*after),
            _ => None,
        }
    }

    /// Puts the order taken from the queue in front, to be sent now.
    pub fn queue_order(&mut self, order_id: Uuid) {
        if let Some(Step::SendOrders { after }) = self.steps.front_mut() {
            *after = Some(order_id);
            self.steps.push_front(Step::SyncOrder { order_id, stage: OrderStage::Check });
        }
    }

    /// The order taken from the queue needs no request (parked before sending): it is done.
    pub fn pass_order(&mut self, order_id: Uuid) {
        if let Some(Step::SendOrders { after }) = self.steps.front_mut() {
            *after = Some(order_id);
            self.done += 2;
        }
    }

    /// No pending order is left.
    pub fn end_order_queue(&mut self) {
        if matches!(self.steps.front(), Some(Step::SendOrders { .. })) {
            self.steps.pop_front();
        }
    }

    /// The order step in front needs no request (no longer pending, or parked before sending).
    pub fn skip_order(&mut self) {
        self.complete_order_step(None);
    }

    /// The refund step in front has moved on: to its next stage, or it is done.
    pub fn complete_refund_step(&mut self, next: Option<RefundStage>) {
        let Some(Step::SyncRefund { refund_id, stage }) = self.steps.pop_front() else { return };
        match next {
            Some(next) => {
                self.done += 1;
                self.steps.push_front(Step::SyncRefund { refund_id, stage: next });
            }
            None if stage == RefundStage::Check => self.done += 2,
            None => self.done += 1,
        }
    }

    /// Whether any step left sends orders or refunds (and so needs the mapping context).
    pub fn sends_orders_or_refunds(&self) -> bool {
        self.steps
            .iter()
            .any(|s| matches!(s, Step::SendOrders { .. } | Step::SyncOrder { .. } | Step::SyncRefund { .. }))
    }

    /// The refund in front, if a refund step is in front.
    pub fn front_refund(&self) -> Option<(Uuid, RefundStage)> {
        match self.steps.front() {
            Some(Step::SyncRefund { refund_id, stage }) => Some((*refund_id, stage.clone())),
            _ => None,
        }
    }

    /// The order in front, if an order step is in front.
    pub fn front_order(&self) -> Option<(Uuid, OrderStage)> {
        match self.steps.front() {
            Some(Step::SyncOrder { order_id, stage }) => Some((*order_id, stage.clone())),
            _ => None,
        }
    }

    pub fn is_finished(&self) -> bool {
        self.steps.is_empty()
    }

    /// Percent done: below 100 while any step remains, 100 only when finished.
    pub fn percent(&self) -> i32 {
        if self.is_finished() {
            return 100;
        }
        let expected = self.expected.max(self.done + 1);
        ((self.done * 100 / expected) as i32).min(99)
    }

    /// The qbXML for the next step, or `None` when finished.
    pub fn next_request(&self, version: QbxmlVersion) -> Option<String> {
        let step = self.steps.front()?;
        let mut document = RequestDocument::new(version, OnError::ContinueOnError);
        match step {
            Step::ReadLists => {
                for kind in LISTS_READ.iter().filter(|k| **k != ListKind::Item) {
                    document.push(&list_query(*kind, Page::Whole));
                }
                document.push(&item_count_query());
            }
            Step::ReadItems { iterator_id: None, .. } => document.push(&list_query(ListKind::Item, Page::Start)),
            Step::ReadItems { iterator_id: Some(id), .. } => {
                document.push(&list_query(ListKind::Item, Page::Continue { iterator_id: id }))
            }
            // Orders and refunds need the database to be written; the service asks their modules.
            Step::SendOrders { .. } | Step::SyncOrder { .. } | Step::SyncRefund { .. } => return None,
            Step::ReadSales { kind, since, iterator_id } => {
                let page = match iterator_id {
                    Some(id) => Page::Continue { iterator_id: id },
                    None => Page::Start,
                };
                document.push(&modified_sales_query(kind, page, *since));
            }
            Step::ReadInventory { since, iterator_id } => {
                let page = match iterator_id {
                    Some(id) => Page::Continue { iterator_id: id },
                    None => Page::Start,
                };
                document.push(&inventory_query(page, *since));
            }
        }
        Some(document.finish())
    }

    /// Applies QuickBooks' answer to the step in front, returning what to store.
    pub fn apply(&mut self, answer: &QbxmlResponse) -> Vec<Effect> {
        let Some(step) = self.steps.pop_front() else { return Vec::new() };
        self.done += 1;
        let mut effects = Vec::new();
        match step {
            Step::ReadLists => {
                if let Some(count) = answer.by_request_id(ITEM_COUNT_REQUEST_ID).and_then(|rs| rs.ret_count) {
                    self.expected =
                        self.done + count.div_ceil(ITEM_PAGE).max(1) + (self.steps.len() as u32).saturating_sub(1);
                }
                for kind in LISTS_READ.iter().copied().filter(|k| *k != ListKind::Item) {
                    let request_id = crate::db_enum::to_db(&kind);
                    match answer.by_request_id(&request_id) {
                        Some(rs) if rs.status.is_ok() => {
                            effects.push(Effect::ReplaceList(kind, entries_from(kind, rs)))
                        }
                        Some(rs) => effects.push(Effect::ListFailed(kind, rs.status.clone())),
                        None => effects.push(Effect::ListFailed(kind, missing_answer())),
                    }
                }
            }
            Step::ReadItems { iterator_id, read } => {
                let first_page = iterator_id.is_none();
                match answer.by_request_id("ITEM") {
                    Some(rs) if rs.status.is_ok() => {
                        let entries = entries_from(ListKind::Item, rs);
                        let read = read + entries.len() as u32;
                        effects.push(Effect::ItemPage { first_page, entries });
                        match (rs.iterator_remaining, &rs.iterator_id) {
                            (Some(remaining), Some(id)) if remaining > 0 => {
                                self.expected = self.done + remaining.div_ceil(ITEM_PAGE) + self.steps.len() as u32;
                                self.steps.push_front(Step::ReadItems { iterator_id: Some(id.clone()), read });
                            }
                            _ => effects.push(Effect::ItemsComplete { count: read }),
                        }
                    }
                    Some(rs) => effects.push(Effect::ListFailed(ListKind::Item, rs.status.clone())),
                    None => effects.push(Effect::ListFailed(ListKind::Item, missing_answer())),
                }
            }
            Step::ReadSales { kind, since, .. } => match answer.by_request_id(&format!("SALES-{kind}")) {
                Some(rs) if rs.status.is_ok() => {
                    effects.push(Effect::SalesPage(sales_from(&kind, rs)));
                    match (rs.iterator_remaining, &rs.iterator_id) {
                        (Some(remaining), Some(id)) if remaining > 0 => {
                            self.expected = self.done + remaining.div_ceil(ITEM_PAGE) + self.steps.len() as u32;
                            self.steps.push_front(Step::ReadSales { kind, since, iterator_id: Some(id.clone()) });
                        }
                        _ if !self.steps.iter().any(|s| matches!(s, Step::ReadSales { .. })) => {
                            effects.push(Effect::SalesComplete)
                        }
                        _ => {}
                    }
                }
                Some(rs) => effects.push(Effect::SalesFailed(kind, rs.status.clone())),
                None => effects.push(Effect::SalesFailed(kind, missing_answer())),
            },
            Step::ReadInventory { since, .. } => match answer.by_request_id(INVENTORY_REQUEST_ID) {
                Some(rs) if rs.status.is_ok() => {
                    effects.push(Effect::InventoryPage(inventory_levels(rs)));
                    match (rs.iterator_remaining, &rs.iterator_id) {
                        (Some(remaining), Some(id)) if remaining > 0 => {
                            self.expected = self.done + remaining.div_ceil(ITEM_PAGE) + self.steps.len() as u32;
                            self.steps.push_front(Step::ReadInventory { since, iterator_id: Some(id.clone()) });
                        }
                        _ => effects.push(Effect::InventoryComplete),
                    }
                }
                Some(rs) => effects.push(Effect::ListFailed(ListKind::Item, rs.status.clone())),
                None => effects.push(Effect::ListFailed(ListKind::Item, missing_answer())),
            },
            Step::SendOrders { .. } | Step::SyncOrder { .. } | Step::SyncRefund { .. } => {
                // Not for this function: put it back and undo the count.
                self.steps.push_front(step);
                self.done -= 1;
            }
        }
        effects
    }

    /// A request went out but its answer never came back (the Web Connector stopped, the
    /// network dropped). Reads are safe to repeat; an item iterator cannot be resumed, so the
    /// item list starts over.
    pub fn recover_lost_answer(&mut self) {
        match self.steps.front_mut() {
            // Reading again since the same moment is safe; the iterator is not.
            Some(Step::ReadInventory { iterator_id, .. }) | Some(Step::ReadSales { iterator_id, .. }) => {
                *iterator_id = None
            }
            Some(Step::ReadItems { iterator_id, read }) => {
                *iterator_id = None;
                *read = 0;
            }
            // Whether QuickBooks committed the transaction is unknown: check again before
            // posting, so it is linked if it is there and added only if it is not.
            // Deleting again is safe: a transaction already gone answers "not found".
            Some(Step::SyncOrder { stage, .. }) if !matches!(stage, OrderStage::Check | OrderStage::Undo) => {
                *stage = OrderStage::Check;
                self.expected += 1;
            }
            // The check reads the credit memo and how much of its credit is left.
            Some(Step::SyncRefund { stage, .. }) if *stage != RefundStage::Check => {
                *stage = RefundStage::Check;
                self.expected += 1;
            }
            _ => {}
        }
    }
}

fn missing_answer() -> ResponseStatus {
    ResponseStatus { code: -1, severity: "Error".into(), message: "QuickBooks sent no answer to this request".into() }
}

/// What an answer asks to be stored.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    ReplaceList(ListKind, Vec<NewListEntry>),
    ItemPage { first_page: bool, entries: Vec<NewListEntry> },
    ItemsComplete { count: u32 },
    ListFailed(ListKind, ResponseStatus),
    InventoryPage(Vec<InventoryLevel>),
    InventoryComplete,
    SalesPage(Vec<QbSale>),
    SalesComplete,
    SalesFailed(String, ResponseStatus),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item_answer(names: &[&str], remaining: u32) -> QbxmlResponse {
        let rets: String = names
            .iter()
            .map(|n| format!("<ItemServiceRet><ListID>{n}</ListID><FullName>{n}</FullName><IsActive>true</IsActive></ItemServiceRet>"))
            .collect();
        QbxmlResponse::parse(&format!(
            "<QBXML><QBXMLMsgsRs><ItemQueryRs requestID=\"ITEM\" statusCode=\"0\" statusSeverity=\"Info\" iteratorRemainingCount=\"{remaining}\" iteratorID=\"{{it-1}}\">{rets}</ItemQueryRs></QBXMLMsgsRs></QBXML>"
        ))
        .unwrap()
    }

    #[test]
    fn items_are_read_page_by_page_and_progress_only_grows() {
        let mut plan = Plan {
            steps: VecDeque::from([Step::ReadItems { iterator_id: None, read: 0 }]),
            done: 0,
            expected: 1,
            reads_lists: true,
            orders: 0,
        };
        assert!(plan.next_request(QbxmlVersion::BASELINE).unwrap().contains("iterator=\"Start\""));
        let effects = plan.apply(&item_answer(&["A", "B"], 1_000));
        assert!(matches!(&effects[0], Effect::ItemPage { first_page: true, entries } if entries.len() == 2));
        let first = plan.percent();
        assert!(first > 0 && first < 99, "{first}");
        assert!(plan.next_request(QbxmlVersion::BASELINE).unwrap().contains("iteratorID=\"{it-1}\""));
        plan.apply(&item_answer(&["C"], 500));
        let second = plan.percent();
        assert!(second > first && second < 100, "{first} then {second}");
        let effects = plan.apply(&item_answer(&["D"], 0));
        assert_eq!(effects.last(), Some(&Effect::ItemsComplete { count: 4 }));
        assert!(plan.is_finished());
        assert_eq!(plan.percent(), 100);
    }

    #[test]
    fn a_lost_answer_restarts_the_item_list() {
        let mut plan = Plan::new(true, Vec::new(), 0, Vec::new());
        plan.steps[1] = Step::ReadItems { iterator_id: Some("{old}".into()), read: 500 };
        plan.steps.pop_front();
        plan.recover_lost_answer();
        assert_eq!(plan.steps[0], Step::ReadItems { iterator_id: None, read: 0 });
    }

    #[test]
    fn an_order_whose_answer_was_lost_is_checked_again_and_progress_never_falls() {
        let id = Uuid::nil();
        let mut plan = Plan::new(false, Vec::new(), 2, Vec::new());
        assert_eq!(plan.expected, 4);
        assert_eq!(plan.order_queue(), Some(None));
        plan.queue_order(id);
        plan.complete_order_step(Some(OrderStage::Post { customer_exists: true, use_single: false }));
        let before = plan.percent();
        plan.recover_lost_answer();
        assert_eq!(plan.front_order(), Some((id, OrderStage::Check)));
        assert!(plan.percent() <= before);
        plan.complete_order_step(None);
        assert_eq!(plan.order_queue(), Some(Some(id)), "the queue goes on after the order taken");
        plan.pass_order(Uuid::max());
        plan.end_order_queue();
        assert!(plan.is_finished());
        assert_eq!(plan.percent(), 100);
    }

    #[test]
    fn a_failed_list_is_reported_not_emptied() {
        let mut plan = Plan::new(true, Vec::new(), 0, Vec::new());
        let answer = QbxmlResponse::parse("<QBXML><QBXMLMsgsRs><AccountQueryRs requestID=\"ACCOUNT\" statusCode=\"3250\" statusSeverity=\"Error\" statusMessage=\"off\"/></QBXMLMsgsRs></QBXML>").unwrap();
        let effects = plan.apply(&answer);
        assert!(matches!(&effects[0], Effect::ListFailed(ListKind::Account, status) if status.code == 3250));
        assert!(effects.iter().all(|e| !matches!(e, Effect::ReplaceList(ListKind::Account, _))));
    }
}
