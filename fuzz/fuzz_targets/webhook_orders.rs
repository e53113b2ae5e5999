//! Store webhooks: a Shopify order or refund, a WooCommerce order. A payload that reads as an
//! order has its arithmetic checked, as intake does.
#![no_main]

use ledgerbridge::webhooks::{shopify, woocommerce};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    for order in [shopify::to_order(&body).ok(), woocommerce::to_order(&body).ok()].into_iter().flatten() {
        let _ = order.arithmetic_problem();
    }
    let _ = shopify::to_refund(&body);
});
