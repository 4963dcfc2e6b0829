//! Parses any text as an invite code: it must never panic, and whatever parses must write a
//! text that parses back to it (less the addresses its text has no room for).
//! `crates/codes/tests/corpus.rs` runs the same checks over the kept corpus on stable.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mutual_codes::Code;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(code) = Code::parse(text) {
            let mut expected = code.clone();
            if let Code::Full(full) = &mut expected {
                full.addresses.truncate(full.addresses_that_fit());
            }
            assert_eq!(Code::parse(&code.to_text()), Ok(expected));
        }
    }
});
