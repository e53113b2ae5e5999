//! Sending one refund to QuickBooks as a credit memo linked to the order's transaction, never
//! twice:
//!
//! 1. **Check** — is the original still in QuickBooks, and whose is it (the credit memo goes to
//!    the same customer)? Is the credit memo already there (by its number, or by date and the
//!    `Other` column when QuickBooks numbers it), and is any of its credit left?
//! 2. **Post** — the credit memo and, in the same message set, the money part: the refund of
//!    the money when the sale was paid (sales receipt, invoice with payment), or the credit
//!    applied to the invoice when it was not.
//! 3. **Apply** — only the money part, when an earlier run left a credit memo with credit.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::explain;
use super::order_sync::{SyncContext, missing_other_charges};
use crate::db::Db;
use crate::db_enum;
use crate::domain::Money;
use crate::entities::{store_order, store_refund};
use crate::error::ServiceResult;
use crate::orders::mapping::SHIPPING_ITEM;
use crate::orders::refund_mapping::{MappedRefund, REFUND_ITEM, map_refund};
use crate::orders::refunds::refund_of;
use crate::orders::service::order_of;
use crate::orders::{OrderStatus, map_order};
use crate::qbxml::items::{NewItem, item_add};
use crate::qbxml::transactions::{
    CreditApplication, CreditRefund, TxnKind, TxnRef, ar_refund_credit_card_add, credit_apply, transaction_add,
    transaction_query_by_date, transaction_query_by_id, transaction_query_by_ref,
};
use crate::qbxml::{OnError, QbxmlResponse, QbxmlVersion, RequestDocument, RsElement};
use crate::transaction_log::{LogBus, LogKind, LogLevel, NewLogEntry, record_log_entry};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "camelCase")]
pub enum RefundStage {
    Check,
    Post { customer: String },
    Apply { customer: String, credit_memo_txn_id: String },
}

/// Where the money of a refund goes, by what the order became in QuickBooks.
#[derive(Debug, Clone, PartialEq, Eq)]
enum MoneyBack {
    /// The sale was paid: the money goes back from the account it was deposited to.
    Refund,
    /// The invoice is unpaid: the credit memo pays part of it.
    ApplyTo { invoice_txn_id: String },
}

struct Prepared {
    refund: store_refund::Model,
    order: store_order::Model,
    /// The order's QuickBooks transaction the credit memo answers: its type and TxnID.
    original: (String, String),
    money: MoneyBack,
    mapped: MappedRefund,
}

const ORIGINAL: &str = "original";
const DUPLICATE: &str = "duplicate";
const CREDIT_MEMO: &str = "credit-memo";
const MONEY: &str = "money";
const MACRO: &str = "TxnID:refund";

/// Loads a pending refund and decides how it is written. A refund that cannot go (its order
/// is not in QuickBooks yet, or was written as a sales order or estimate, or the refund does
/// not fit the order) is settled or left here; `None` means no request for it now.
async fn prepare(db: &impl Db, bus: &LogBus, ctx: &SyncContext, refund_id: Uuid) -> ServiceResult<Option<Prepared>> {
    let Some(refund) = store_refund::Entity::find_by_id(refund_id).one(db).await? else { return Ok(None) };
    if refund.sync_status != db_enum::to_db(&OrderStatus::Pending) {
        return Ok(None);
    }
    let Some(order) = store_order::Entity::find_by_id(refund.order_id).one(db).await? else { return Ok(None) };
    // It waits for its order: in the same run when the order goes first, else a later one.
    let Some(txn_id) = order.qb_txn_id.clone().filter(|_| order.sync_status == db_enum::to_db(&OrderStatus::Synced))
    else {
        return Ok(None);
    };
    let txn_type = order.qb_txn_type.clone().unwrap_or_default();
    let (original, money) = match (txn_type.as_str(), &order.qb_invoice_txn_id) {
        (_, Some(invoice)) => {
            (("Invoice".to_owned(), invoice.clone()), MoneyBack::ApplyTo { invoice_txn_id: invoice.clone() })
        }
        ("SalesReceipt", None) => ((txn_type.clone(), txn_id), MoneyBack::Refund),
        ("Invoice", None) if order.qb_payment_txn_id.is_some() => ((txn_type.clone(), txn_id), MoneyBack::Refund),
        ("Invoice", None) => ((txn_type.clone(), txn_id.clone()), MoneyBack::ApplyTo { invoice_txn_id: txn_id }),
        (other, None) => {
            let what = if other == "Estimate" { "an estimate" } else { "a sales order" };
            let message = format!(
                "Refund {{sequence}} of order {{number}} was not sent: the order is in QuickBooks as {what}, which \
                 does not post to the books, so there is nothing to credit"
            );
            finish(db, bus, refund, &order, OrderStatus::Skipped, LogKind::RefundSkipped, message).await?;
            return Ok(None);
        }
    };
    let parsed = refund_of(&refund)?;
    let store_order = order_of(&order)?;
    let context = ctx.mapping_context(&order);
    let mapped_order = map_order(&store_order, &context);
    let mapped = map_refund(
        &store_order,
        &parsed,
        refund.sequence.max(1) as u32,
        order.qb_ref_number.as_deref(),
        &mapped_order,
        refund.id,
        context.store_name,
    );
    if let Some(problem) = mapped.problems.first() {
        let message = format!("Refund {{sequence}} of order {{number}} failed: {problem}");
        finish(db, bus, refund, &order, OrderStatus::Failed, LogKind::RefundFailed, message).await?;
        return Ok(None);
    }
    Ok(Some(Prepared { refund, order, original, money, mapped }))
}

/// The request for a refund's stage, or `None` when it needs none now.
pub async fn request(
    db: &impl Db,
    bus: &LogBus,
    ctx: &SyncContext,
    refund_id: Uuid,
    stage: &RefundStage,
    version: QbxmlVersion,
) -> ServiceResult<Option<String>> {
    let Some(p) = prepare(db, bus, ctx, refund_id).await? else { return Ok(None) };
    let mut document = RequestDocument::new(version, OnError::ContinueOnError);
    match stage {
        RefundStage::Check => {
            document.push(&transaction_query_by_id(&p.original.0, ORIGINAL, &p.original.1));
            document.push(&match &p.mapped.header.ref_number {
                Some(reference) => transaction_query_by_ref(TxnKind::CreditMemo, DUPLICATE, reference),
                None => transaction_query_by_date(
                    TxnKind::CreditMemo,
                    DUPLICATE,
                    p.mapped.header.txn_date.unwrap_or_else(|| Utc::now().date_naive()),
                ),
            });
        }
        RefundStage::Post { customer } => {
            // A missing item answers 3140 on the credit memo; one that turns out to exist
            // answers 3100, which continueOnError lets pass.
            for (index, item) in items_to_create(&p.mapped, ctx).iter().enumerate() {
                document.push(&item_add(&format!("item-{index}"), item));
            }
            let header =
                crate::qbxml::transactions::TxnHeader { customer: customer.clone(), ..p.mapped.header.clone() };
            document.push(&transaction_add(TxnKind::CreditMemo, CREDIT_MEMO, &header, &p.mapped.lines, Some(MACRO)));
            document.push(&money_request(&p, customer, TxnRef::Macro(MACRO)));
        }
        RefundStage::Apply { customer, credit_memo_txn_id } => {
            document.push(&money_request(&p, customer, TxnRef::TxnId(credit_memo_txn_id)));
        }
    }
    Ok(Some(document.finish()))
}

fn money_request(p: &Prepared, customer: &str, credit_memo: TxnRef<'_>) -> String {
    let h = &p.mapped.header;
    match &p.money {
        MoneyBack::Refund => ar_refund_credit_card_add(
            MONEY,
            &CreditRefund {
                customer,
                refund_from_account: h.deposit_account.as_deref(),
                ar_account: h.ar_account.as_deref(),
                txn_date: h.txn_date,
                ref_number: h.ref_number.as_deref(),
                payment_method: h.payment_method.as_deref(),
                memo: h.memo.as_deref(),
                credit_memo,
                amount: p.mapped.total,
            },
        ),
        MoneyBack::ApplyTo { invoice_txn_id } => credit_apply(
            MONEY,
            &CreditApplication {
                customer,
                ar_account: h.ar_account.as_deref(),
                txn_date: h.txn_date,
                memo: h.memo.as_deref(),
                invoice_txn_id,
                credit_memo,
                amount: p.mapped.total,
            },
        ),
    }
}

/// The refund item (and the shipping item), made on first use.
fn items_to_create(mapped: &MappedRefund, ctx: &SyncContext) -> Vec<NewItem> {
    missing_other_charges(
        &mapped.lines,
        ctx,
        &[(REFUND_ITEM, "Web store refunds"), (SHIPPING_ITEM, "Shipping and handling")],
    )
}

/// Applies QuickBooks' answer to a refund's stage; returns the next stage, if any.
pub async fn apply(
    db: &impl Db,
    bus: &LogBus,
    ctx: &SyncContext,
    refund_id: Uuid,
    stage: &RefundStage,
    answer: &QbxmlResponse,
) -> ServiceResult<Option<RefundStage>> {
    let Some(p) = prepare(db, bus, ctx, refund_id).await? else { return Ok(None) };
    match stage {
        RefundStage::Check => {
            let original = answer.by_request_id(ORIGINAL);
            let customer = original
                .filter(|rs| rs.status.code == 0)
                .and_then(|rs| rs.rets().next())
                .and_then(|ret| ret.child("CustomerRef"))
                .and_then(|c| c.child_text("FullName"))
                .map(String::from);
            let Some(customer) = customer else {
                return match original {
                    // Anything but "not found" is QuickBooks' own trouble: ask again next run.
                    Some(rs) if ![1, 500].contains(&rs.status.code) => refused(db, bus, p, rs).await.map(|()| None),
                    None => {
                        transient(db, bus, p, "QuickBooks sent no answer about the order".into()).await.map(|()| None)
                    }
                    Some(_) => {
                        let message = format!(
                            "Refund {{sequence}} of order {{number}} failed: the order's {} is no longer in QuickBooks, \
                             so there is nothing to credit. Undo and send the order again, or skip the refund.",
                            p.original.0
                        );
                        let (refund, order) = (p.refund, p.order);
                        finish(db, bus, refund, &order, OrderStatus::Failed, LogKind::RefundFailed, message)
                            .await
                            .map(|()| None)
                    }
                };
            };
            let existing = answer.by_request_id(DUPLICATE).and_then(|rs| find_existing(rs, &p.mapped));
            match existing {
                None => Ok(Some(RefundStage::Post { customer })),
                Some(found) if found.credit_remaining.is_zero() => {
                    let message = format!(
                        "Refund {{sequence}} of order {{number}} is already in QuickBooks as credit memo {}: linked, \
                         not added again",
                        found.ref_number.as_deref().unwrap_or(&found.txn_id)
                    );
                    let (refund, order) = (p.refund, p.order);
                    let refund = store_ids(db, refund, Some(found.txn_id), found.ref_number, None).await?;
                    finish(db, bus, refund, &order, OrderStatus::Synced, LogKind::RefundSynced, message).await?;
                    Ok(None)
                }
                Some(found) => {
                    // Its credit is still there: only the money part is left to send.
                    store_ids(db, p.refund, Some(found.txn_id.clone()), found.ref_number, None).await?;
                    Ok(Some(RefundStage::Apply { customer, credit_memo_txn_id: found.txn_id }))
                }
            }
        }
        RefundStage::Post { .. } => {
            let Some(memo) = answer.by_request_id(CREDIT_MEMO) else {
                return transient(db, bus, p, "QuickBooks sent no answer for the credit memo".into())
                    .await
                    .map(|()| None);
            };
            if memo.status.code != 0 {
                let cause = answer
                    .responses
                    .iter()
                    .find(|rs| {
                        rs.request_id.as_deref().is_some_and(|id| id.starts_with("item-"))
                            && rs.status.code != 0
                            && rs.status.code != 3100
                    })
                    .unwrap_or(memo);
                return refused(db, bus, p, cause).await.map(|()| None);
            }
            let ret = memo.rets().next();
            let txn_id = ret.and_then(|r| r.child_text("TxnID")).map(String::from);
            let reference = ret.and_then(|r| r.child_text("RefNumber")).map(String::from);
            let Prepared { refund, order, money, mapped, original } = p;
            let refund = store_ids(db, refund, txn_id.clone(), reference.clone(), None).await?;
            let p = Prepared { refund, order, money, mapped, original };
            money_outcome(db, bus, p, answer, reference.or(txn_id)).await.map(|()| None)
        }
        RefundStage::Apply { credit_memo_txn_id, .. } => {
            let reference = p.refund.qb_credit_memo_ref.clone().or(Some(credit_memo_txn_id.clone()));
            money_outcome(db, bus, p, answer, reference).await.map(|()| None)
        }
    }
}

/// What the money part's answer means for the refund.
async fn money_outcome(
    db: &impl Db,
    bus: &LogBus,
    p: Prepared,
    answer: &QbxmlResponse,
    credit_memo: Option<String>,
) -> ServiceResult<()> {
    let credit_memo = credit_memo.unwrap_or_default();
    let Some(money) = answer.by_request_id(MONEY) else {
        return transient(db, bus, p, format!("QuickBooks sent no answer for the money of credit memo {credit_memo}"))
            .await;
    };
    if money.status.code != 0 {
        return refused(db, bus, p, money).await;
    }
    let money_txn = money.rets().next().and_then(|r| r.child_text("TxnID")).map(String::from);
    let how = match p.money {
        MoneyBack::Refund => "with the money refunded",
        MoneyBack::ApplyTo { .. } => "applied to the unpaid invoice",
    };
    let message = format!(
        "Refund {{sequence}} of order {{number}} ({}) is in QuickBooks as credit memo {credit_memo}, {how}",
        p.mapped.total
    );
    let Prepared { refund, order, .. } = p;
    let refund = store_ids(db, refund, None, None, money_txn).await?;
    finish(db, bus, refund, &order, OrderStatus::Synced, LogKind::RefundSynced, message).await
}

struct ExistingCreditMemo {
    txn_id: String,
    ref_number: Option<String>,
    credit_remaining: Money,
}

/// The credit memo QuickBooks already has for this refund: by number, or (with QuickBooks
/// numbering) by the order number and refund sequence written in `Other`.
fn find_existing(rs: &RsElement, mapped: &MappedRefund) -> Option<ExistingCreditMemo> {
    rs.rets().find_map(|ret| {
        let matches = match &mapped.header.ref_number {
            Some(reference) => ret.child_text("RefNumber").is_some_and(|r| r.eq_ignore_ascii_case(reference)),
            None => ret.child_text("Other").is_some() && ret.child_text("Other") == mapped.header.other.as_deref(),
        };
        matches.then(|| ExistingCreditMemo {
            txn_id: ret.child_text("TxnID").unwrap_or_default().to_owned(),
            ref_number: ret.child_text("RefNumber").map(String::from),
            credit_remaining: ret.child_text("CreditRemaining").and_then(|c| Money::parse(c).ok()).unwrap_or_default(),
        })
    })
}

async fn store_ids(
    db: &impl Db,
    refund: store_refund::Model,
    credit_memo: Option<String>,
    reference: Option<String>,
    money: Option<String>,
) -> ServiceResult<store_refund::Model> {
    let mut active: store_refund::ActiveModel = refund.into();
    if credit_memo.is_some() {
        active.qb_credit_memo_txn_id = Set(credit_memo);
        active.qb_credit_memo_ref = Set(reference);
    }
    if money.is_some() {
        active.qb_money_txn_id = Set(money);
    }
    Ok(active.update(db).await?)
}

/// QuickBooks refused part of the refund: retried next run when the cause is passing, failed
/// with the explanation when it is the data.
async fn refused(db: &impl Db, bus: &LogBus, p: Prepared, cause: &RsElement) -> ServiceResult<()> {
    let explanation = explain::status_code(cause.status.code);
    let text = format!(
        "QuickBooks refused refund {{sequence}} of order {{number}} (code {}: {}){}",
        cause.status.code,
        cause.status.message,
        explanation.as_ref().map(|e| format!(". {} {}", e.summary, e.what_to_do)).unwrap_or_default()
    );
    if explanation.is_some_and(|e| e.transient) {
        return transient(db, bus, p, text).await;
    }
    finish(db, bus, p.refund, &p.order, OrderStatus::Failed, LogKind::RefundFailed, text).await
}

fn fill(message: &str, refund: &store_refund::Model, order: &store_order::Model) -> String {
    message.replace("{sequence}", &refund.sequence.to_string()).replace("{number}", &order.order_number)
}

/// Leaves the refund pending for the next run, counting the attempt.
async fn transient(db: &impl Db, bus: &LogBus, p: Prepared, message: String) -> ServiceResult<()> {
    let text = fill(&message, &p.refund, &p.order);
    let mut entry = NewLogEntry::info(
        p.order.connection_id,
        LogKind::QuickbooksError,
        format!("{text} — tried again on the next run"),
    );
    entry.level = LogLevel::Warning;
    entry.order_id = Some(p.order.id);
    entry.order_number = Some(p.order.order_number.clone());
    let attempts = p.refund.attempts + 1;
    let mut active: store_refund::ActiveModel = p.refund.into();
    active.attempts = Set(attempts);
    active.last_error = Set(Some(text));
    active.update(db).await?;
    record_log_entry(db, bus, entry).await?;
    Ok(())
}

/// Records a refund's outcome and logs it on its order.
async fn finish(
    db: &impl Db,
    bus: &LogBus,
    refund: store_refund::Model,
    order: &store_order::Model,
    status: OrderStatus,
    kind: LogKind,
    message: String,
) -> ServiceResult<()> {
    let text = fill(&message, &refund, order);
    let mut entry = NewLogEntry::info(order.connection_id, kind, text.clone());
    entry.level = match status {
        OrderStatus::Synced => LogLevel::Info,
        OrderStatus::Skipped => LogLevel::Warning,
        _ => LogLevel::Error,
    };
    entry.order_id = Some(order.id);
    entry.order_number = Some(order.order_number.clone());
    let attempts = refund.attempts + 1;
    let mut active: store_refund::ActiveModel = refund.into();
    active.sync_status = Set(db_enum::to_db(&status));
    active.attempts = Set(attempts);
    active.last_error = Set((status != OrderStatus::Synced).then_some(text));
    active.synced_at = Set((status == OrderStatus::Synced).then(Utc::now));
    active.update(db).await?;
    record_log_entry(db, bus, entry).await?;
    Ok(())
}
