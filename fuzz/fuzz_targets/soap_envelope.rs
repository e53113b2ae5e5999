//! The Web Connector's SOAP envelope, as any client on the internet may send it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = ledgerbridge::web_connector::soap::parse_call(text);
    }
});
