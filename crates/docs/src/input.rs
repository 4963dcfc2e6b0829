//! Checks of arguments given to typed operations, and the wording of history messages.

use crate::{Error, Stamp};

/// `value` trimmed; refused if empty.
pub(crate) fn required<'s>(what: &'static str, value: &'s str) -> Result<&'s str, Error> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Error::InvalidArgument {
            what,
            reason: "must not be empty".into(),
        });
    }
    Ok(v)
}

/// `value` trimmed, with empty meaning "none".
pub(crate) fn optional(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// Checks that the stamp names a member.
pub(crate) fn stamp(stamp: &Stamp) -> Result<(), Error> {
    required("member in the stamp", &stamp.member).map(|_| ())
}

/// A calendar date written `YYYY-MM-DD`, which also sorts as text.
pub(crate) fn date<'s>(what: &'static str, value: &'s str) -> Result<&'s str, Error> {
    let v = value.trim();
    if is_date(v) {
        Ok(v)
    } else {
        Err(Error::InvalidArgument {
            what,
            reason: format!("“{v}” is not a date written YYYY-MM-DD"),
        })
    }
}

fn is_date(v: &str) -> bool {
    let b = v.as_bytes();
    if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return false;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let s = v.get(r)?;
        if s.bytes().all(|c| c.is_ascii_digit()) {
            s.parse().ok()
        } else {
            None
        }
    };
    let (Some(year), Some(month), Some(day)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// A title shortened for a history message, so one long title does not flood the log.
pub(crate) fn short(text: &str) -> String {
    const MAX: usize = 60;
    let line = text.lines().next().unwrap_or_default();
    if line.chars().count() <= MAX && line.len() == text.len() {
        line.to_owned()
    } else {
        let mut s: String = line.chars().take(MAX).collect();
        s.push('…');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_checked_against_the_calendar() {
        assert!(is_date("2026-11-22"));
        assert!(is_date("2024-02-29"));
        assert!(!is_date("2023-02-29"));
        assert!(!is_date("1900-02-29"));
        assert!(is_date("2000-02-29"));
        assert!(!is_date("2026-13-01"));
        assert!(!is_date("2026-00-10"));
        assert!(!is_date("2026-4-01"));
        assert!(!is_date("2026-04-31"));
        assert!(!is_date("+026-04-01"));
        assert!(!is_date("tomorrow"));
        assert!(date("due date", " 2026-01-05 ").is_ok());
    }

    #[test]
    fn required_trims_and_refuses_empty() {
        assert_eq!(required("title", "  Buy rice ").unwrap(), "Buy rice");
        assert!(matches!(
            required("title", " \n"),
            Err(Error::InvalidArgument { what: "title", .. })
        ));
        assert_eq!(optional(Some("  ")), None);
        assert_eq!(optional(Some(" hall ")), Some("hall"));
    }

    #[test]
    fn short_cuts_long_and_multiline_text() {
        assert_eq!(short("Buy rice"), "Buy rice");
        assert_eq!(short("first\nsecond"), "first…");
        assert_eq!(short(&"x".repeat(100)).chars().count(), 61);
    }
}
