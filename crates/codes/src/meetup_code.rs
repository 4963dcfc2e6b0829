//! [`MeetupCode`]: the short code read aloud to someone in the same room.

use std::fmt;

use crate::frame::{self, KIND_MEETUP};
use crate::{ParseError, SECRET_LEN, VERSION, text};

/// Characters between the dashes of a meetup code's text.
const GROUP_WIDTH: usize = 4;

/// A meetup code: an invite's secret alone, for joining a group whose members are on the same
/// network (the secret finds them and proves the invite).
///
/// Its text is 24 characters in six groups of four, `XXXX-XXXX-XXXX-XXXX-XXXX-XXXX`.
///
/// `Debug` hides the secret; `Display` writes the code's text, which holds it.
#[derive(Clone, PartialEq, Eq)]
pub struct MeetupCode {
    /// The invite's secret.
    pub secret: [u8; SECRET_LEN],
}

impl MeetupCode {
    /// The code's text: 29 characters, six groups of four joined by dashes.
    pub fn to_text(&self) -> String {
        self.text_with_version(VERSION)
    }

    pub(crate) fn text_with_version(&self, version: u8) -> String {
        let frame = frame::seal(version, KIND_MEETUP, &self.secret);
        text::grouped(&text::encode(&frame), GROUP_WIDTH)
    }

    pub(crate) fn from_payload(payload: &[u8]) -> Result<Self, ParseError> {
        let secret = payload.try_into().map_err(|_| ParseError::Malformed {
            reason: "a meetup code must hold exactly a 12-byte secret",
        })?;
        Ok(Self { secret })
    }
}

impl fmt::Display for MeetupCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

impl fmt::Debug for MeetupCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MeetupCode")
            .field("secret", &crate::Redacted)
            .finish()
    }
}
