//! Fractional ranks: the order of columns, cards, agenda items and resource items.
//!
//! A rank is a string of base-36 digits (`0-9a-z`) read as a fraction in (0, 1): `"i"` is
//! 18/36, `"i9"` is 18/36 + 9/36². Plain string comparison orders ranks numerically, and a
//! rank never ends in `0`, so between any two distinct ranks there is always another one.
//! Moving an item writes one register (its rank); list membership never changes, so a
//! concurrent move cannot duplicate or drop anything. Two peers inserting at the same spot
//! may pick the same rank: readers break ties by id, and [`place`] re-ranks a tied group
//! when someone inserts into the middle of it.
//!
//! Written here rather than taken from a crate: the one maintained Rust crate for this
//! (`fractional_index` 2.0.2) can overflow a `u8` in `new_between` once keys contain zero
//! bytes, which ordinary prepending produces, and ranks are a stored format we must own.

const BASE: u8 = 36;

fn digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'z' => Some(c - b'a' + 10),
        _ => None,
    }
}

fn char_of(d: u8) -> char {
    // Digits produced by `midpoint` are all below BASE; anything else would be a bug, and
    // mapping it to 'z' keeps the result a valid (if suboptimal) rank rather than panicking.
    match d {
        0..=9 => char::from(b'0' + d),
        10..=35 => char::from(b'a' + d - 10),
        _ => 'z',
    }
}

/// Whether `rank` is a well-formed rank.
pub(crate) fn is_valid(rank: &str) -> bool {
    !rank.is_empty() && !rank.ends_with('0') && rank.bytes().all(|c| digit(c).is_some())
}

fn decode(rank: &str) -> Option<Vec<u8>> {
    if !is_valid(rank) {
        return None;
    }
    rank.bytes().map(digit).collect()
}

/// A rank strictly between `lower` and `upper` (`None` meaning the start or the end).
/// Returns `None` only when the bounds are malformed or not in increasing order.
pub(crate) fn between(lower: Option<&str>, upper: Option<&str>) -> Option<String> {
    let a = match lower {
        Some(l) => decode(l)?,
        None => Vec::new(),
    };
    let b = match upper {
        Some(u) => Some(decode(u)?),
        None => None,
    };
    if let (Some(l), Some(u)) = (lower, upper)
        && l >= u
    {
        return None;
    }
    let digits = match (lower, &b) {
        // Appending and prepending are the common moves: step one digit instead of
        // bisecting, so a list built by appending grows its ranks by one character per ~17
        // items rather than per ~5.
        (Some(_), None) => after(&a).or_else(|| midpoint(&a, None))?,
        (None, Some(b)) => before(b).or_else(|| midpoint(&a, Some(b)))?,
        _ => midpoint(&a, b.as_deref())?,
    };
    Some(digits.into_iter().map(char_of).collect())
}

/// The shortest-prefix rank just above `a`: `a` cut after its first digit that can be
/// incremented, incremented. `None` if every digit is already the largest.
fn after(a: &[u8]) -> Option<Vec<u8>> {
    let i = a.iter().position(|&d| d < BASE - 1)?;
    let mut out = a.get(..=i)?.to_vec();
    *out.last_mut()? += 1;
    Some(out)
}

/// The shortest-prefix rank just below `b`: `b` cut after its first digit above 1,
/// decremented (a digit of 1 would become a trailing zero). `None` if there is no such digit.
fn before(b: &[u8]) -> Option<Vec<u8>> {
    let i = b.iter().position(|&d| d > 1)?;
    let mut out = b.get(..=i)?.to_vec();
    *out.last_mut()? -= 1;
    Some(out)
}

/// The digits of a fraction strictly between `a` and `b` (`b = None` meaning 1), given
/// `a < b` and neither ending in a zero digit. After the common prefix, either a digit fits
/// between the two leading digits, or we keep a's digit and look for room after it.
fn midpoint(a: &[u8], b: Option<&[u8]>) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut a, mut b) = (a, b);
    loop {
        if let Some(upper) = b {
            // `a` is padded with zeros: "i" and "i0..." are the same fraction.
            let common = upper
                .iter()
                .enumerate()
                .take_while(|&(i, &d)| a.get(i).copied().unwrap_or(0) == d)
                .count();
            out.extend_from_slice(upper.get(..common)?);
            a = a.get(common..).unwrap_or(&[]);
            b = Some(upper.get(common..)?);
        }
        let da = a.first().copied().unwrap_or(0);
        let db = match b {
            Some(upper) => *upper.first()?,
            None => BASE,
        };
        if db <= da {
            return None;
        }
        if db - da > 1 {
            out.push(da + (db - da) / 2);
            return Some(out);
        }
        // Adjacent leading digits. If `b` goes on after its first digit, that digit alone
        // is below `b` and above `a`; otherwise take a's digit and find room above a's rest.
        if let Some(upper) = b
            && upper.len() > 1
        {
            out.push(db);
            return Some(out);
        }
        out.push(da);
        a = a.get(1..).unwrap_or(&[]);
        b = None;
    }
}

/// `n` increasing ranks strictly between `lower` and `upper`, spread by bisection so they
/// stay short.
pub(crate) fn spread(lower: Option<&str>, upper: Option<&str>, n: usize) -> Option<Vec<String>> {
    if n == 0 {
        return Some(Vec::new());
    }
    let mid = between(lower, upper)?;
    let left = n / 2;
    let mut out = spread(lower, Some(&mid), left)?;
    let right = spread(Some(&mid), upper, n - left - 1)?;
    out.push(mid);
    out.extend(right);
    Some(out)
}

/// Where a new (or moved) item goes in a sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Placement {
    /// The item's rank.
    pub(crate) rank: String,
    /// Other members that need a new rank to make room: (index in the sequence, new rank).
    pub(crate) renumber: Vec<(usize, String)>,
}

/// The rank for an item put at `position` (clamped to the end) among `seq`, the ranks of the
/// sequence's other members in display order (ascending by rank, then id).
///
/// Returns `None` only if `seq` holds malformed ranks or is not in order.
pub(crate) fn place(seq: &[&str], position: usize) -> Option<Placement> {
    let pos = position.min(seq.len());
    let prev = pos.checked_sub(1).and_then(|i| seq.get(i)).copied();
    let next = seq.get(pos).copied();
    let (Some(p), Some(n)) = (prev, next) else {
        return Some(Placement {
            rank: between(prev, next)?,
            renumber: Vec::new(),
        });
    };
    if p < n {
        return Some(Placement {
            rank: between(prev, next)?,
            renumber: Vec::new(),
        });
    }
    // The neighbours share a rank (two peers once inserted at the same spot): nothing fits
    // between them, so give the whole tied group, and the new item, fresh ranks.
    let mut start = pos - 1;
    while start > 0 && seq.get(start - 1) == Some(&p) {
        start -= 1;
    }
    let mut end = pos;
    while seq.get(end + 1) == Some(&p) {
        end += 1;
    }
    let lower = start.checked_sub(1).and_then(|i| seq.get(i)).copied();
    let upper = seq.get(end + 1).copied();
    let mut fresh = spread(lower, upper, end - start + 2)?.into_iter();
    let mut renumber = Vec::new();
    for i in start..pos {
        renumber.push((i, fresh.next()?));
    }
    let rank = fresh.next()?;
    for i in pos..=end {
        renumber.push((i, fresh.next()?));
    }
    Some(Placement { rank, renumber })
}

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;
    use rand::{RngExt, SeedableRng};

    use super::*;

    #[test]
    fn first_rank_is_the_middle() {
        assert_eq!(between(None, None).unwrap(), "i");
    }

    #[test]
    fn between_known_cases() {
        assert_eq!(between(Some("i"), None).unwrap(), "j");
        assert_eq!(between(Some("i5"), None).unwrap(), "j");
        assert_eq!(between(Some("zzk"), None).unwrap(), "zzl");
        assert_eq!(between(None, Some("i")).unwrap(), "h");
        assert_eq!(between(None, Some("1a")).unwrap(), "19");
        assert_eq!(between(None, Some("01")).unwrap(), "00i");
        assert_eq!(between(Some("a"), Some("b")).unwrap(), "ai");
        assert_eq!(between(Some("a"), Some("a1")).unwrap(), "a0i");
        assert_eq!(between(Some("z"), None).unwrap(), "zi");
        assert_eq!(between(None, Some("1")).unwrap(), "0i");
        assert_eq!(between(Some("az"), Some("b")).unwrap(), "azi");
        assert_eq!(between(Some("a5"), Some("b2")).unwrap(), "b");
    }

    #[test]
    fn between_refuses_bad_bounds() {
        assert_eq!(between(Some("b"), Some("a")), None);
        assert_eq!(between(Some("a"), Some("a")), None);
        assert_eq!(between(Some("a0"), None), None);
        assert_eq!(between(Some("A"), None), None);
        assert_eq!(between(Some(""), None), None);
        assert!(!is_valid("i0"));
        assert!(is_valid("i09"));
    }

    fn check_between(lower: Option<&str>, upper: Option<&str>) -> String {
        let r = between(lower, upper).unwrap();
        assert!(is_valid(&r), "{r}");
        if let Some(l) = lower {
            assert!(l < r.as_str(), "{l} < {r}");
        }
        if let Some(u) = upper {
            assert!(r.as_str() < u, "{r} < {u}");
        }
        r
    }

    #[test]
    fn repeated_prepends_appends_and_bisections_stay_ordered() {
        let mut first = check_between(None, None);
        let mut last = first.clone();
        for _ in 0..500 {
            first = check_between(None, Some(&first));
            last = check_between(Some(&last), None);
        }
        assert!(first.len() <= 40 && last.len() <= 40, "{first} {last}");
        let (mut lo, hi) = (first.clone(), check_between(Some(&first), None));
        for _ in 0..200 {
            lo = check_between(Some(&lo), Some(&hi));
        }
    }

    #[test]
    fn random_insertions_keep_a_consistent_order() {
        let mut rng = StdRng::seed_from_u64(7);
        let mut seq: Vec<String> = Vec::new();
        for _ in 0..2000 {
            let pos = rng.random_range(0..=seq.len());
            let refs: Vec<&str> = seq.iter().map(String::as_str).collect();
            let placed = place(&refs, pos).unwrap();
            assert!(placed.renumber.is_empty());
            seq.insert(pos, placed.rank);
            assert!(seq.windows(2).all(|w| w[0] < w[1]));
        }
    }

    #[test]
    fn placing_inside_a_tie_reranks_the_tied_group() {
        let seq = ["a", "c", "c", "c", "e"];
        let placed = place(&seq, 2).unwrap();
        let mut result: Vec<String> = seq.iter().map(|s| s.to_string()).collect();
        for (i, r) in &placed.renumber {
            result[*i] = r.clone();
        }
        result.insert(2, placed.rank.clone());
        assert!(result.windows(2).all(|w| w[0] < w[1]), "{result:?}");
        assert_eq!(placed.renumber.len(), 3);
        assert_eq!(result[0], "a");
        assert_eq!(result[5], "e");
        // A tie at the ends of the sequence, too.
        let placed = place(&["c", "c"], 1).unwrap();
        assert_eq!(placed.renumber.len(), 2);
        assert!(placed.renumber[0].1 < placed.rank && placed.rank < placed.renumber[1].1);
    }

    #[test]
    fn placing_next_to_a_tie_needs_no_renumbering() {
        let placed = place(&["c", "c"], 2).unwrap();
        assert!(placed.renumber.is_empty());
        assert!(placed.rank.as_str() > "c");
        let placed = place(&["c", "c"], 0).unwrap();
        assert!(placed.renumber.is_empty());
        assert!(placed.rank.as_str() < "c");
    }

    #[test]
    fn position_is_clamped_to_the_end() {
        let placed = place(&["a", "b"], 99).unwrap();
        assert!(placed.rank.as_str() > "b");
    }

    #[test]
    fn spread_gives_increasing_ranks() {
        let ranks = spread(Some("a"), Some("b"), 50).unwrap();
        assert_eq!(ranks.len(), 50);
        assert!(ranks.windows(2).all(|w| w[0] < w[1]));
        assert!(ranks.first().unwrap().as_str() > "a" && ranks.last().unwrap().as_str() < "b");
    }
}
