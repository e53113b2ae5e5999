//! Keeping the sales read from QuickBooks.

use chrono::Utc;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, sea_query::OnConflict};
use uuid::Uuid;

use crate::db::Db;
use crate::entities::qb_sale;
use crate::error::{ServiceError, ServiceResult};
use crate::qbxml::sales::QbSale;

/// New and changed sales, for live subscribers in this process.
pub type SalesBus = crate::events::Bus<qb_sale::Model>;

impl crate::events::OfConnection for qb_sale::Model {
    fn connection_id(&self) -> Uuid {
        self.connection_id
    }
}

/// Stores sales (a sale read again replaces its earlier copy) and publishes the changed ones.
pub async fn store_sales(
    db: &impl Db,
    bus: &SalesBus,
    connection_id: Uuid,
    sales: Vec<QbSale>,
) -> ServiceResult<usize> {
    let mut changed = 0;
    for sale in sales {
        let existing = qb_sale::Entity::find_by_id((connection_id, sale.txn_id.clone())).one(db).await?;
        if existing.as_ref().is_some_and(|e| e.time_modified == sale.time_modified && e.total == sale.total) {
            continue;
        }
        let row = qb_sale::Model {
            connection_id,
            txn_id: sale.txn_id,
            txn_type: sale.kind,
            ref_number: sale.ref_number,
            txn_date: sale.txn_date,
            customer: sale.customer,
            total: sale.total,
            memo: sale.memo,
            time_modified: sale.time_modified,
            lines: serde_json::to_value(&sale.lines).map_err(ServiceError::internal)?,
            read_at: Utc::now(),
        };
        let active = qb_sale::ActiveModel {
            connection_id: Set(row.connection_id),
            txn_id: Set(row.txn_id.clone()),
            txn_type: Set(row.txn_type.clone()),
            ref_number: Set(row.ref_number.clone()),
            txn_date: Set(row.txn_date.clone()),
            customer: Set(row.customer.clone()),
            total: Set(row.total.clone()),
            memo: Set(row.memo.clone()),
            time_modified: Set(row.time_modified.clone()),
            lines: Set(row.lines.clone()),
            read_at: Set(row.read_at),
        };
        use qb_sale::Column::*;
        qb_sale::Entity::insert(active)
            .on_conflict(
                OnConflict::columns([ConnectionId, TxnId])
                    .update_columns([TxnType, RefNumber, TxnDate, Customer, Total, Memo, TimeModified, Lines, ReadAt])
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
        changed += 1;
        bus.publish(row);
    }
    Ok(changed)
}

/// The connection's sales read from QuickBooks, latest first.
pub async fn list(db: &impl Db, connection_id: Uuid, limit: u64) -> ServiceResult<Vec<qb_sale::Model>> {
    Ok(qb_sale::Entity::find()
        .filter(qb_sale::Column::ConnectionId.eq(connection_id))
        .order_by_desc(qb_sale::Column::TxnDate)
        .order_by_desc(qb_sale::Column::TxnId)
        .limit(limit)
        .all(db)
        .await?)
}
