//! Storing the refunds stores report, once each, for the Web Connector to send as credit memos.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, Set,
};
use uuid::Uuid;

use super::model::Refund;
use super::service::{OrderStatus, order_of};
use crate::db_enum;
use crate::entities::{store_order, store_refund};
use crate::error::{ServiceError, ServiceResult};
use crate::transaction_log::{LogBus, LogKind, NewLogEntry, record_log_entry};

/// Stores the refunds of `order` not stored yet; returns how many were new. A refund sent
/// again (Shopify retries, every orders/updated repeats them) is the one already stored.
pub async fn record_refunds(
    db: &impl ConnectionTrait,
    bus: &LogBus,
    order: &store_order::Model,
    refunds: &[Refund],
) -> ServiceResult<usize> {
    let mut added = 0;
    for refund in refunds {
        let known = store_refund::Entity::find()
            .filter(store_refund::Column::OrderId.eq(order.id))
            .filter(store_refund::Column::ExternalId.eq(refund.external_id.clone()))
            .one(db)
            .await?;
        if known.is_some() {
            continue;
        }
        let sequence =
            store_refund::Entity::find().filter(store_refund::Column::OrderId.eq(order.id)).count(db).await? as i32 + 1;
        let inserted = store_refund::ActiveModel {
            id: Set(Uuid::now_v7()),
            order_id: Set(order.id),
            connection_id: Set(order.connection_id),
            external_id: Set(refund.external_id.clone()),
            sequence: Set(sequence),
            payload: Set(serde_json::to_value(refund).map_err(ServiceError::internal)?),
            sync_status: Set(db_enum::to_db(&OrderStatus::Pending)),
            qb_credit_memo_txn_id: Set(None),
            qb_credit_memo_ref: Set(None),
            qb_money_txn_id: Set(None),
            attempts: Set(0),
            last_error: Set(None),
            created_at: Set(Utc::now()),
            synced_at: Set(None),
        }
        .insert(db)
        .await;
        match inserted {
            Ok(_) => added += 1,
            // The same refund arriving twice at once: the other delivery stored it.
            Err(err) if matches!(err.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))) => continue,
            Err(err) => return Err(err.into()),
        }
        let mut entry = NewLogEntry::info(
            order.connection_id,
            LogKind::RefundReceived,
            format!(
                "Refund of {} {} received for order {}: it goes to QuickBooks as a credit memo",
                refund.total(),
                order_of(order).map(|o| o.currency).unwrap_or_default(),
                order.order_number
            ),
        );
        entry.order_id = Some(order.id);
        entry.order_number = Some(order.order_number.clone());
        record_log_entry(db, bus, entry).await?;
    }
    Ok(added)
}

/// A refund that arrived on its own (Shopify's refunds/create): kept on the stored order's
/// payload and stored for sending. `None` when the order is not known (yet).
pub async fn attach_refund(
    db: &impl ConnectionTrait,
    bus: &LogBus,
    store_id: Uuid,
    order_external_id: &str,
    refund: Refund,
) -> ServiceResult<Option<store_order::Model>> {
    let Some(row) = store_order::Entity::find()
        .filter(store_order::Column::StoreId.eq(store_id))
        .filter(store_order::Column::ExternalId.eq(order_external_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let mut order = order_of(&row)?;
    let row = if order.refunds.iter().any(|r| r.external_id == refund.external_id) {
        row
    } else {
        order.refunds.push(refund.clone());
        let mut active: store_order::ActiveModel = row.into();
        active.payload = Set(serde_json::to_value(&order).map_err(ServiceError::internal)?);
        active.updated_at = Set(Utc::now());
        active.update(db).await?
    };
    record_refunds(db, bus, &row, &[refund]).await?;
    Ok(Some(row))
}

/// An order's refunds, first first.
pub async fn refunds_of(db: &DatabaseConnection, order_id: Uuid) -> ServiceResult<Vec<store_refund::Model>> {
    use sea_orm::QueryOrder;
    Ok(store_refund::Entity::find()
        .filter(store_refund::Column::OrderId.eq(order_id))
        .order_by_asc(store_refund::Column::Sequence)
        .all(db)
        .await?)
}

/// Sends an order's failed refunds again on the next run (with retryOrder).
pub async fn retry_failed_refunds(db: &DatabaseConnection, order_id: Uuid) -> ServiceResult<u64> {
    let result = store_refund::Entity::update_many()
        .col_expr(
            store_refund::Column::SyncStatus,
            sea_orm::sea_query::Expr::value(db_enum::to_db(&OrderStatus::Pending)),
        )
        .col_expr(store_refund::Column::LastError, sea_orm::sea_query::Expr::value(Option::<String>::None))
        .filter(store_refund::Column::OrderId.eq(order_id))
        .filter(store_refund::Column::SyncStatus.eq(db_enum::to_db(&OrderStatus::Failed)))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// The refund as stored.
pub fn refund_of(row: &store_refund::Model) -> ServiceResult<Refund> {
    <Refund as serde::Deserialize>::deserialize(&row.payload).map_err(ServiceError::internal)
}
