//! QuickBooks' qbXML answers, relayed by the Web Connector: every record of every response
//! is walked, as the sync does.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(response) = ledgerbridge::qbxml::QbxmlResponse::parse(text) {
        for rs in &response.responses {
            for ret in rs.rets() {
                let _ = ret.child_text("TxnID");
                let _ = ret.child_text("FullName");
            }
        }
    }
});
