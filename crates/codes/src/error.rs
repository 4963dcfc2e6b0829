//! Why a text is not an invite code. Each message is one sentence shown to people as is.

use std::fmt;

/// Why [`Code::parse`](crate::Code::parse) refused a text.
///
/// Variants are listed in the order the checks run: a text that is both too long and
/// mistyped is reported as [`ParseError::TooLong`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The text holds nothing but separators (dashes, spaces), or nothing at all.
    #[error("the code is empty")]
    Empty,
    /// The text is longer than [`MAX_INPUT_CHARS`](crate::MAX_INPUT_CHARS); refused unread.
    #[error("the text is too long to be an invite code")]
    TooLong,
    /// A character that is neither a code character, an alias of one, nor a separator.
    #[error(
        "“{}” is not a character of invite codes (they use the digits and letters other than I, L, O and U)",
        Shown(*character)
    )]
    BadCharacter {
        /// The first such character of the text.
        character: char,
    },
    /// The check characters do not match the rest, or the text is too short to hold them.
    #[error("the code is mistyped: its check characters do not match; check it letter by letter")]
    Mistyped,
    /// The checksum is right but the code is of a version newer than [`VERSION`](crate::VERSION).
    #[error(
        "this code was made by a newer version of Mutual (code version {version}); update Mutual to use it"
    )]
    UnknownVersion {
        /// The version written in the code.
        version: u8,
    },
    /// The checksum and version are right but the contents are inconsistent: made by a
    /// faulty or hostile program, not by a typo.
    #[error("this code is damaged ({reason}); ask for a new one")]
    Malformed {
        /// What is inconsistent, in a few words.
        reason: &'static str,
    },
}

/// A character as a person can read it in a message: control characters are escaped, since
/// printed raw they would be invisible or break the line.
struct Shown(char);

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_control() {
            write!(f, "{}", self.0.escape_unicode())
        } else {
            write!(f, "{}", self.0)
        }
    }
}
