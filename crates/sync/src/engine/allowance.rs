//! How many ops a group takes from authors who are not members' devices here: a removed
//! member's ops made before its removal arrived are valid, and honest ones are few (what it
//! did while the removal was on its way); a flood of backdated ones is not. Each author gets
//! [`REVOKED_AUTHOR_OPS_PER_HOUR`]; the rest are dropped before they are checked or stored.
//! An honest relay that took them before it learned of the removal sends them again in a
//! later session, so they arrive, slowly, rather than never.

use std::collections::HashMap;

use mutual_auth::DeviceId;

/// Most ops a group takes per hour from one author who is not a member's device here.
pub const REVOKED_AUTHOR_OPS_PER_HOUR: u32 = 64;
/// Most authors tracked per group; ops by further ones are dropped until a window ends.
const MAX_TRACKED_AUTHORS: usize = 1024;
const HOUR_MS: u64 = 60 * 60 * 1000;

/// Per author, the start of its current hour and the ops taken in it.
#[derive(Debug, Default)]
pub(crate) struct Allowance(HashMap<DeviceId, (u64, u32)>);

impl Allowance {
    /// Whether one more op by `author` may be taken at `now` (ms); counts it if so.
    pub(crate) fn take(&mut self, author: DeviceId, now: u64) -> bool {
        let expired = |start: u64| now.saturating_sub(start) >= HOUR_MS;
        if self.0.len() >= MAX_TRACKED_AUTHORS && !self.0.contains_key(&author) {
            self.0.retain(|_, (start, _)| !expired(*start));
            if self.0.len() >= MAX_TRACKED_AUTHORS {
                return false;
            }
        }
        let (start, taken) = self.0.entry(author).or_insert((now, 0));
        if expired(*start) {
            (*start, *taken) = (now, 0);
        }
        if *taken >= REVOKED_AUTHOR_OPS_PER_HOUR {
            return false;
        }
        *taken += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use mutual_auth::DeviceKey;

    use super::*;

    #[test]
    fn an_author_gets_its_allowance_each_hour_and_no_more() {
        let author = DeviceKey::generate().id();
        let mut allowance = Allowance::default();
        let taken = (0..200).filter(|_| allowance.take(author, 1_000)).count();
        assert_eq!(taken, REVOKED_AUTHOR_OPS_PER_HOUR as usize);
        assert!(!allowance.take(author, 1_000 + HOUR_MS - 1));
        assert!(allowance.take(author, 1_000 + HOUR_MS));
    }

    #[test]
    fn authors_beyond_the_tracked_number_get_nothing_until_an_hour_ends() {
        let mut allowance = Allowance::default();
        for _ in 0..MAX_TRACKED_AUTHORS {
            assert!(allowance.take(DeviceKey::generate().id(), 0));
        }
        let late = DeviceKey::generate().id();
        assert!(!allowance.take(late, 10));
        assert!(allowance.take(late, HOUR_MS));
    }
}
