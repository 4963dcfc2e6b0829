//! Values a person types, checked while the command line is parsed: a value that is wrong
//! is a usage error (exit code 2), named with the option it was given for, before anything
//! is opened or changed.

use std::time::Duration;

/// How long an invite may be valid: from a second (for tests of expiry) to a year.
pub(crate) const INVITE_VALID: (Duration, Duration) =
    (Duration::from_secs(1), Duration::from_secs(365 * DAY));
/// How long `join` may wait: from a second to a day.
pub(crate) const JOIN_TIMEOUT: (Duration, Duration) =
    (Duration::from_secs(1), Duration::from_secs(DAY));

const DAY: u64 = 24 * 60 * 60;

/// A name or title: trimmed, and not empty.
pub(crate) fn text(value: &str) -> Result<String, String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        Err("it must not be empty".to_owned())
    } else {
        Ok(trimmed.to_owned())
    }
}

/// A card's due date: `YYYY-MM-DD`. The empty text is no date: clearing one is `--clear`.
pub(crate) fn card_due(value: &str) -> Result<String, String> {
    if value.trim().is_empty() {
        return Err("give a date written YYYY-MM-DD, or --clear to remove the due date".to_owned());
    }
    date(value)
}

/// A date written `YYYY-MM-DD`, from 1970 on: an earlier one (year 0, 1900) is a slip of
/// the keyboard, not a date a collective's card or loan was due. A past but plausible one
/// is taken (recording a late item is legitimate); the command warns of it ([`is_past`]).
pub(crate) fn date(value: &str) -> Result<String, String> {
    let v = value.trim();
    let date: jiff::civil::Date = v
        .parse()
        .ok()
        .filter(|_| v.len() == 10)
        .ok_or_else(|| format!("“{v}” is not a date written YYYY-MM-DD"))?;
    if date.year() < 1970 {
        return Err(format!(
            "“{v}” is before 1970; write the date as YYYY-MM-DD"
        ));
    }
    Ok(date.to_string())
}

/// Whether a date that [`date`] took is before today, the person's local date.
pub(crate) fn is_past(date: &str) -> bool {
    date < jiff::Zoned::now().date().to_string().as_str()
}

/// An agenda item's time box: from 1 minute to a day.
pub(crate) fn time_box(value: &str) -> Result<u32, String> {
    let minutes: u32 = value
        .trim()
        .parse()
        .map_err(|_| format!("“{}” is not a number of minutes", value.trim()))?;
    if !(1..=24 * 60).contains(&minutes) {
        return Err("a time box is from 1 to 1440 minutes".to_owned());
    }
    Ok(minutes)
}

/// `--expires` of an invite: a duration from 1s to 365d.
pub(crate) fn invite_valid_for(value: &str) -> Result<Duration, String> {
    bounded(value, INVITE_VALID, "1s", "365d")
}

/// `join --timeout`: a duration from 1s to 24h.
pub(crate) fn join_timeout(value: &str) -> Result<Duration, String> {
    bounded(value, JOIN_TIMEOUT, "1s", "24h")
}

fn bounded(
    value: &str,
    (min, max): (Duration, Duration),
    min_text: &str,
    max_text: &str,
) -> Result<Duration, String> {
    let out_of_range = || format!("it must be from {min_text} to {max_text}");
    let duration = duration(value).map_err(|e| e.unwrap_or_else(out_of_range))?;
    if duration < min || duration > max {
        return Err(out_of_range());
    }
    Ok(duration)
}

/// A duration as people write it: a number and a unit (`s`, `m`, `h`, `d`, `w`, or the
/// words `seconds`, `minutes`, `hours`, `days`, `weeks`), or several (`1h30m`). An error is
/// `Some(why)` for what is not a duration, `None` for one too long to count.
fn duration(value: &str) -> Result<Duration, Option<String>> {
    let unreadable = || {
        Some(format!(
            "“{}” is not a duration: write a number and a unit, s, m, h, d or w (30m, 12h, 7d, 2w)",
            value.trim()
        ))
    };
    let mut rest = value.trim();
    if rest.is_empty() {
        return Err(unreadable());
    }
    let mut total: u64 = 0;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(unreadable());
        }
        // All digits: too large for u64 is too long, not unreadable.
        let number: u64 = rest[..digits].parse().map_err(|_| None)?;
        rest = rest[digits..].trim_start();
        let letters = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let unit = match rest[..letters].to_ascii_lowercase().as_str() {
            "s" | "sec" | "secs" | "second" | "seconds" => 1,
            "m" | "min" | "mins" | "minute" | "minutes" => 60,
            "h" | "hr" | "hrs" | "hour" | "hours" => 60 * 60,
            "d" | "day" | "days" => DAY,
            "w" | "week" | "weeks" => 7 * DAY,
            _ => return Err(unreadable()),
        };
        rest = rest[letters..].trim_start();
        total = number
            .checked_mul(unit)
            .and_then(|secs| total.checked_add(secs))
            .ok_or(None)?;
    }
    Ok(Duration::from_secs(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_read_in_the_units_people_type() {
        let secs = |text| duration(text).map(|d| d.as_secs());
        assert_eq!(secs("30s"), Ok(30));
        assert_eq!(secs("30m"), Ok(1800));
        assert_eq!(secs("12h"), Ok(12 * 3600));
        assert_eq!(secs(" 7d "), Ok(7 * DAY));
        assert_eq!(secs("2w"), Ok(14 * DAY));
        assert_eq!(secs("1h30m"), Ok(5400));
        assert_eq!(secs("2 hours"), Ok(7200));
        assert!(matches!(secs("1y"), Err(Some(_))));
        assert!(matches!(secs("abc"), Err(Some(_))));
        assert!(matches!(secs(""), Err(Some(_))));
        assert!(matches!(secs("-5m"), Err(Some(_))));
        assert_eq!(secs("99999999999999999999999h"), Err(None));
        assert_eq!(secs("18446744073709551615w"), Err(None));
    }

    #[test]
    fn invites_last_from_a_second_to_a_year() {
        assert!(invite_valid_for("0s").is_err());
        assert!(invite_valid_for("0m").is_err());
        assert!(invite_valid_for("1s").is_ok());
        assert!(invite_valid_for("365d").is_ok());
        let long = invite_valid_for("1000000000h").unwrap_err();
        assert_eq!(long, "it must be from 1s to 365d");
        assert!(
            invite_valid_for("1y")
                .unwrap_err()
                .contains("s, m, h, d or w")
        );
    }

    #[test]
    fn dates_are_on_the_calendar_and_from_1970() {
        assert_eq!(date(" 2024-02-29 "), Ok("2024-02-29".to_owned()));
        assert!(date("2023-02-29").is_err());
        assert!(date("0000-01-01").unwrap_err().contains("before 1970"));
        assert!(date("1969-12-31").unwrap_err().contains("before 1970"));
        assert!(date("1970-01-01").is_ok());
        assert!(date("2024-2-1").is_err());
        assert!(is_past("2000-01-01"));
        assert!(!is_past("9999-12-31"));
        assert!(time_box("0").is_err());
        assert_eq!(time_box("90"), Ok(90));
        assert!(time_box("1441").is_err());
    }
}
