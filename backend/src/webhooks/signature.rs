//! HMAC-SHA256 webhook signatures, compared in constant time.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Whether `signature` (base64, as both Shopify and WooCommerce send it) is the HMAC-SHA256 of
/// the raw `body` under `secret`. The comparison takes the same time whatever the input.
pub fn is_valid(secret: &str, body: &[u8], signature: &str) -> bool {
    let Ok(expected) = STANDARD.decode(signature.trim()) else { return false };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else { return false };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// The signature of `body` under `secret`, for outbound webhooks and tests.
pub fn sign(secret: &str, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(body);
    STANDARD.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_published_test_vectors_verify() {
        let body = br##"{"id":1,"name":"#1001"}"##;
        assert_eq!(sign("test-webhook-secret", body), "1zeHeDPsENUTVpn88iHMVPTUCKg3w3p9dq9im8vtFkA=");
        assert!(is_valid("test-webhook-secret", body, "1zeHeDPsENUTVpn88iHMVPTUCKg3w3p9dq9im8vtFkA="));
        let dir = format!("{}/../../shared/fixtures/orders", env!("CARGO_MANIFEST_DIR"));
        for (file, signature) in [
            ("shopify_api_ruby__order.json", "+XQR9B9GaSSps28y62OUTB0/3Za1uhWgEHdgkzUtoh8="),
            ("synthetic__woocommerce_order_created.json", "vaIj8/gFvDhPmfA3UQUIbTt4pz478duvjP+iAEzkQLI="),
        ] {
            let bytes = std::fs::read(format!("{dir}/{file}")).unwrap();
            assert!(is_valid("test-webhook-secret", &bytes, signature), "{file}");
        }
    }

    #[test]
    fn a_wrong_secret_a_changed_body_or_garbage_fails() {
        let body = br##"{"id":1,"name":"#1001"}"##;
        assert!(!is_valid("other-secret", body, "1zeHeDPsENUTVpn88iHMVPTUCKg3w3p9dq9im8vtFkA="));
        assert!(!is_valid(
            "test-webhook-secret",
            br##"{"id":2,"name":"#1001"}"##,
            "1zeHeDPsENUTVpn88iHMVPTUCKg3w3p9dq9im8vtFkA="
        ));
        assert!(!is_valid("test-webhook-secret", body, "not base64!"));
        assert!(!is_valid("test-webhook-secret", body, ""));
    }
}
