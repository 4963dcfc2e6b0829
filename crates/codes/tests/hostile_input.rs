//! Parsing is total: whatever the text, it returns, without panicking, and whatever it
//! accepts is a code whose own text parses back to it.

mod common;

use common::{SYMBOLS, code, fitted};
use mutual_codes::{Code, MAX_INPUT_CHARS, ParseError};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

/// The fuzz target's checks (see `fuzz/fuzz_targets/parse_code.rs`).
fn check(text: &str) -> Result<(), TestCaseError> {
    if let Ok(code) = Code::parse(text) {
        prop_assert_eq!(Code::parse(&code.to_text()), Ok(fitted(&code)));
    }
    Ok(())
}

/// Text made mostly of code characters, so that some of it gets past the character checks.
fn code_like_text() -> impl Strategy<Value = String> {
    let mut chars: Vec<char> = SYMBOLS.chars().collect();
    chars.extend("oOiIlL- \u{a0}U".chars());
    vec(select(chars), 0..500).prop_map(|chars| chars.into_iter().collect())
}

proptest! {
    #[test]
    fn any_string_is_parsed_without_panicking(text in any::<String>()) {
        check(&text)?;
    }

    #[test]
    fn any_bytes_are_parsed_without_panicking(bytes in vec(any::<u8>(), 0..3000)) {
        check(&String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn code_like_text_is_parsed_without_panicking(text in code_like_text()) {
        check(&text)?;
    }

    #[test]
    fn a_code_with_random_bytes_changed_is_parsed_without_panicking(
        code in code(),
        edits in vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let mut bytes = code.to_text().into_bytes();
        for (at, byte) in edits {
            let at = at.index(bytes.len());
            bytes[at] = byte;
        }
        check(&String::from_utf8_lossy(&bytes))?;
    }
}

#[test]
fn text_over_the_limit_is_refused_unread() {
    let at_limit = "Z".repeat(MAX_INPUT_CHARS);
    assert_ne!(Code::parse(&at_limit), Err(ParseError::TooLong));
    let over = "Z".repeat(MAX_INPUT_CHARS + 1);
    assert_eq!(Code::parse(&over), Err(ParseError::TooLong));
    // Characters are counted, not bytes: 2000 four-byte characters are not too long.
    let wide = "😀".repeat(MAX_INPUT_CHARS);
    assert_eq!(
        Code::parse(&wide),
        Err(ParseError::BadCharacter { character: '😀' })
    );
    let huge = "-".repeat(50_000_000);
    assert_eq!(Code::parse(&huge), Err(ParseError::TooLong));
}
