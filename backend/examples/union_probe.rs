use ledgerbridge::entities::store_order;
use ledgerbridge::web_connector::order_sync::read_with_following;
use sea_orm::{ConnectOptions, EntityTrait, QueryOrder, TransactionTrait};

#[tokio::main]
async fn main() {
    let qpsg = std::env::var_os("QPSG").is_some();
    let mut options = ConnectOptions::new("sqlite:///tmp/x.db?mode=rwc");
    options.sqlx_logging(false).map_sqlx_sqlite_pool_opts(move |o| {
        o.after_connect(move |conn, _| {
            Box::pin(async move {
                if qpsg {
                    let mut h = conn.lock_handle().await?;
                    let mut was: std::os::raw::c_int = -1;
                    let rc = unsafe {
                        libsqlite3_sys::sqlite3_db_config(
                            h.as_raw_handle().as_ptr(),
                            libsqlite3_sys::SQLITE_DBCONFIG_ENABLE_QPSG,
                            1 as std::os::raw::c_int,
                            &mut was as *mut std::os::raw::c_int,
                        )
                    };
                    eprintln!("qpsg rc {rc} now {was}");
                }
                Ok(())
            })
        })
    });
    let db = sea_orm::Database::connect(options).await.unwrap();
    let ids: Vec<store_order::Model> =
        store_order::Entity::find().order_by_asc(store_order::Column::Id).all(&db).await.unwrap();
    let conn = ids[0].connection_id;
    for round in 0..3 {
        let txn = db.begin().await.unwrap();
        let t = std::time::Instant::now();
        for o in ids.iter().take(1000) {
            let (a, b) = read_with_following(&txn, conn, o.id).await.unwrap();
            assert!(a.is_some() && b.is_some());
        }
        let union = t.elapsed() / 1000;
        let t = std::time::Instant::now();
        for o in ids.iter().take(1000) {
            let a = store_order::Entity::find_by_id(o.id).one(&txn).await.unwrap();
            assert!(a.is_some());
        }
        let simple = t.elapsed() / 1000;
        let t = std::time::Instant::now();
        for o in ids.iter().take(1000) {
            let a = store_order::Entity::find_by_id(o.id).all(&txn).await.unwrap();
            assert!(a.len() == 1);
        }
        let nolimit = t.elapsed() / 1000;
        txn.commit().await.unwrap();
        println!("round {round}: union {union:?} one {simple:?} all {nolimit:?}");
    }
}
