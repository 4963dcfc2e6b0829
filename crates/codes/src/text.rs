//! The text form of a frame: Crockford base32, forgiving of how people type and paste.

use std::sync::LazyLock;

use data_encoding::{Character, DecodeKind, Encoding, Specification};

use crate::{MAX_INPUT_CHARS, ParseError};

/// Crockford's base32 symbols: the digits and the letters other than I, L, O and U, which
/// are too easily confused with 1, 1, 0 and V (or make words).
pub(crate) const SYMBOLS: &str = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// ASCII separators that decoding skips: dashes and ASCII whitespace.
const ASCII_SEPARATORS: &str = "- \t\n\x0b\x0c\r";

/// The codec, built once. Trailing bits are checked, so each frame has exactly one spelling
/// (up to case, aliases and separators) and a typo in the last character's spare bits is
/// caught rather than silently ignored.
static CROCKFORD: LazyLock<Encoding> = LazyLock::new(crockford);

#[expect(
    clippy::expect_used,
    reason = "the specification is a constant; the test `specification_is_valid` builds it"
)]
fn crockford() -> Encoding {
    let mut spec = Specification::new();
    spec.symbols.push_str(SYMBOLS);
    spec.check_trailing_bits = true;
    spec.ignore.push_str(ASCII_SEPARATORS);
    // Lower case, and the letters that look like 0 and 1.
    spec.translate.from.push_str("abcdefghjkmnpqrstvwxyzOoIiLl");
    spec.translate.to.push_str("ABCDEFGHJKMNPQRSTVWXYZ001111");
    spec.encoding()
        .expect("the Crockford specification is valid")
}

/// The base32 text of `frame`, upper case, without separators.
pub(crate) fn encode(frame: &[u8]) -> String {
    CROCKFORD.encode(frame)
}

/// `text` with a dash after every `width` characters (all ASCII).
pub(crate) fn grouped(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / width.max(1));
    for (i, c) in text.chars().enumerate() {
        if i > 0 && i % width.max(1) == 0 {
            out.push('-');
        }
        out.push(c);
    }
    out
}

/// Whether decoding skips `c`: dashes and whitespace, including the Unicode ones (and the
/// invisible characters) that chat apps and word processors put in pasted text.
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '-' | '\u{00AD}'
                | '\u{2010}'..='\u{2015}'
                | '\u{2212}'
                | '\u{FE58}'
                | '\u{FE63}'
                | '\u{FF0D}'
                | '\u{200B}'..='\u{200D}'
                | '\u{2060}'
                | '\u{FEFF}'
        )
}

/// The frame written in `text`. Checks, in order: length ([`ParseError::TooLong`]), that
/// there is anything but separators ([`ParseError::Empty`]), the characters
/// ([`ParseError::BadCharacter`]), and that the symbols make whole bytes
/// ([`ParseError::Mistyped`]). The frame's own checks are [`crate::frame::open`]'s.
pub(crate) fn decode(text: &str) -> Result<Vec<u8>, ParseError> {
    // Counting stops after the limit, so a huge text costs no more than a long one.
    if text.chars().nth(MAX_INPUT_CHARS).is_some() {
        return Err(ParseError::TooLong);
    }
    let mut symbols = Vec::with_capacity(text.len());
    let mut first_bad = None;
    for c in text.chars().filter(|&c| !is_separator(c)) {
        let Ok(byte) = u8::try_from(c) else {
            first_bad.get_or_insert(c);
            continue;
        };
        match CROCKFORD.interpret_byte(byte) {
            Character::Symbol { .. } => symbols.push(byte),
            Character::Ignored => {}
            Character::Padding | Character::Invalid => {
                first_bad.get_or_insert(c);
            }
        }
    }
    if let Some(character) = first_bad {
        return Err(ParseError::BadCharacter { character });
    }
    if symbols.is_empty() {
        return Err(ParseError::Empty);
    }
    CROCKFORD
        .decode(&symbols)
        .map_err(|error| match error.kind {
            // Unreachable: every byte was checked above. Kept exact rather than panicking.
            DecodeKind::Symbol => ParseError::BadCharacter {
                character: symbols.get(error.position).map_or('?', |&b| char::from(b)),
            },
            // A dropped or added character, or a typo in the last character's spare bits.
            DecodeKind::Length | DecodeKind::Trailing | DecodeKind::Padding => ParseError::Mistyped,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specification_is_valid() {
        let _ = crockford();
    }

    #[test]
    fn ascii_separators_are_exactly_the_ignored_bytes() {
        for byte in 0..=127u8 {
            let ignored = CROCKFORD.interpret_byte(byte) == Character::Ignored;
            assert_eq!(ignored, is_separator(char::from(byte)), "byte {byte:#x}");
        }
    }

    #[test]
    fn every_symbol_and_alias_decodes_to_its_value() {
        for (value, symbol) in SYMBOLS.chars().enumerate() {
            let byte = u8::try_from(symbol).unwrap();
            let lower = byte.to_ascii_lowercase();
            for b in [byte, lower] {
                assert_eq!(CROCKFORD.interpret_byte(b), Character::Symbol { value });
            }
        }
        for (alias, value) in [
            (b'O', 0),
            (b'o', 0),
            (b'I', 1),
            (b'i', 1),
            (b'L', 1),
            (b'l', 1),
        ] {
            assert_eq!(CROCKFORD.interpret_byte(alias), Character::Symbol { value });
        }
        for bad in [b'U', b'u', b'=', b'_', b'.'] {
            assert_eq!(CROCKFORD.interpret_byte(bad), Character::Invalid);
        }
    }

    #[test]
    fn encode_then_decode_is_identity_for_every_length() {
        for len in 0..300usize {
            let frame: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let text = encode(&frame);
            assert_eq!(text.len(), (len * 8).div_ceil(5));
            if len > 0 {
                assert_eq!(decode(&text).unwrap(), frame, "length {len}");
            }
        }
    }

    #[test]
    fn order_of_text_checks() {
        assert_eq!(decode(""), Err(ParseError::Empty));
        assert_eq!(decode(" -\u{a0}-\t"), Err(ParseError::Empty));
        assert_eq!(
            decode("-é-"),
            Err(ParseError::BadCharacter { character: 'é' })
        );
        assert_eq!(
            decode("AB U"),
            Err(ParseError::BadCharacter { character: 'U' })
        );
        // Eight characters make five bytes; nine make no whole number of them.
        assert_eq!(decode("ABCDEFGH").map(|f| f.len()), Ok(5));
        assert_eq!(decode("ABCDEFGHJ"), Err(ParseError::Mistyped));
        let long = "U".repeat(MAX_INPUT_CHARS + 1);
        assert_eq!(decode(&long), Err(ParseError::TooLong));
        assert_eq!(decode(&"-".repeat(MAX_INPUT_CHARS)), Err(ParseError::Empty));
    }

    #[test]
    fn trailing_bits_must_be_zero() {
        // One byte is two characters; the second carries two spare bits.
        assert_eq!(encode(&[0xff]), "ZW");
        assert_eq!(decode("ZW"), Ok(vec![0xff]));
        assert_eq!(decode("ZX"), Err(ParseError::Mistyped));
    }

    #[test]
    fn grouping_inserts_a_dash_every_width_characters() {
        assert_eq!(grouped("ABCDEFGH", 4), "ABCD-EFGH");
        assert_eq!(grouped("ABCDEFGHJ", 4), "ABCD-EFGH-J");
        assert_eq!(grouped("", 4), "");
    }
}
