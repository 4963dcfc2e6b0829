//! [`Code`]: any invite code, as parsed from what a person typed, pasted or scanned.

use std::fmt;
use std::str::FromStr;

use crate::frame::{self, KIND_FULL, KIND_LINK, KIND_MEETUP};
use crate::{FullCode, MeetupCode, ParseError, SECRET_LEN, VERSION, text};

/// An invite code of any kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Code {
    /// The short code read aloud in the same room.
    Meetup(MeetupCode),
    /// A full invite or a link code, pasted or scanned.
    Full(FullCode),
}

impl Code {
    /// The code written in `text`, in any case, with any dashes and whitespace, and with
    /// O for 0 and I or L for 1. Never panics; refuses texts over
    /// [`MAX_INPUT_CHARS`](crate::MAX_INPUT_CHARS) before reading them.
    ///
    /// # Errors
    ///
    /// Checked in this order: [`ParseError::TooLong`], [`ParseError::Empty`],
    /// [`ParseError::BadCharacter`], [`ParseError::Mistyped`] (the checksum, or a text too
    /// short or of a length no code has), [`ParseError::UnknownVersion`], and
    /// [`ParseError::Malformed`] (a checksum-valid code whose contents are inconsistent).
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let frame = text::decode(text)?;
        let (kind, payload) = frame::open(&frame)?;
        match kind {
            KIND_MEETUP => MeetupCode::from_payload(payload).map(Self::Meetup),
            KIND_FULL => FullCode::from_payload(payload, false).map(Self::Full),
            KIND_LINK => FullCode::from_payload(payload, true).map(Self::Full),
            _ => Err(ParseError::Malformed {
                reason: "its kind is unknown",
            }),
        }
    }

    /// The invite's secret, which every kind of code carries.
    pub fn secret(&self) -> [u8; SECRET_LEN] {
        match self {
            Self::Meetup(code) => code.secret,
            Self::Full(code) => code.secret,
        }
    }

    /// The code's text: [`MeetupCode::to_text`] or [`FullCode::to_text`].
    pub fn to_text(&self) -> String {
        encode_with_version(self, VERSION)
    }
}

/// The text of `code` as if made by Mutual's code version `version` (its low four bits), for
/// compatibility tests: a parser must tell such a code from a mistyped one.
#[doc(hidden)]
pub fn encode_with_version(code: &Code, version: u8) -> String {
    match code {
        Code::Meetup(code) => code.text_with_version(version),
        Code::Full(code) => code.text_with_version(version),
    }
}

impl FromStr for Code {
    type Err = ParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

impl From<MeetupCode> for Code {
    fn from(code: MeetupCode) -> Self {
        Self::Meetup(code)
    }
}

impl From<FullCode> for Code {
    fn from(code: FullCode) -> Self {
        Self::Full(code)
    }
}
