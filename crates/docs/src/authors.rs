//! Who wrote what, from the signatures rather than from what a change claims. Every change
//! is signed by its actor's device (the sync engine refuses any other), and the group's
//! membership log says whose each device is; [`Authors`] carries that mapping into the read
//! model, so that a fact about a member (a position on a proposal) counts only when that
//! member's device wrote it, or someone the group lets record it for them did, visibly.

use std::collections::BTreeMap;

use automerge::{ActorId, ObjId};

/// Each device (an Automerge actor: the device's public key) and the member id it acts for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Authors(BTreeMap<Vec<u8>, String>);

impl Authors {
    /// A mapping from (device key bytes, member id) pairs.
    pub fn new(devices: impl IntoIterator<Item = ([u8; 32], String)>) -> Authors {
        Authors(
            devices
                .into_iter()
                .map(|(device, member)| (device.to_vec(), member))
                .collect(),
        )
    }

    /// The member whose device is `actor`, if the group knows it.
    pub fn member_of(&self, actor: &ActorId) -> Option<&str> {
        self.0.get(actor.to_bytes()).map(String::as_str)
    }

    /// The member whose device made the object `obj` (an entry written as a new map), or
    /// wrote the value whose op id `obj` is.
    pub(crate) fn writer_of(&self, obj: &ObjId) -> Option<&str> {
        match obj {
            ObjId::Id(_, actor, _) => self.member_of(actor),
            ObjId::Root => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use automerge::ActorId;

    use super::Authors;
    use crate::assembly::{self, Outcome, Rule, Stance};
    use crate::board;
    use crate::{Document, Kind, Stamp, View};

    const ALICE: &str = "aaaa";
    const BOB: &str = "bbbb";
    const NOTES: &str = "nnnn";

    fn device(n: u8) -> ActorId {
        ActorId::from([n; 32].as_slice())
    }

    fn stamp(member: &str) -> Stamp {
        Stamp::new(member.to_owned(), 1_700_000_000)
    }

    /// The assembly as each device writes: `as_device` writes with its own actor.
    fn write(doc: &mut Document, as_device: u8, op: impl FnOnce(&mut Document)) {
        doc.automerge_mut().set_actor(device(as_device));
        op(doc);
    }

    fn authors() -> Authors {
        Authors::new([
            ([1; 32], ALICE.to_owned()),
            ([2; 32], BOB.to_owned()),
            ([3; 32], NOTES.to_owned()),
        ])
    }

    #[test]
    fn a_position_counts_only_when_its_member_or_a_visible_recorder_signed_it() {
        let mut doc = Document::create(Kind::Assembly, "March", device(1), &stamp(ALICE)).unwrap();
        let mut p = String::new();
        write(&mut doc, 1, |d| {
            assembly::set_note_taker(d, &stamp(ALICE), Some(NOTES)).unwrap();
            p = assembly::add_proposal(d, &stamp(ALICE), "Strike", "", Rule::Majority).unwrap();
        });
        // Bob's device casts a block in Alice's name, claiming she recorded it herself.
        write(&mut doc, 2, |d| {
            assembly::set_position(d, &stamp(ALICE), &p, ALICE, Stance::Block, "").unwrap();
        });
        // The note-taker records Bob's agreement for him, as the recorder.
        write(&mut doc, 3, |d| {
            assembly::set_position(d, &stamp(NOTES), &p, BOB, Stance::Agree, "").unwrap();
        });
        doc.set_authors(authors());
        let View::Assembly(read) = doc.view().unwrap() else {
            panic!("not an assembly")
        };
        let proposal = &read.proposals[0];
        let counted: Vec<(&str, &str)> = proposal
            .positions
            .iter()
            .map(|p| (p.member.as_str(), p.recorded_by.as_str()))
            .collect();
        assert_eq!(counted, [(BOB, NOTES)]);
        assert_eq!((proposal.tally.agree, proposal.tally.block), (1, 0));
        let forged = &read.set_aside[0];
        assert_eq!(forged.path, format!("proposals/{p}/positions/{ALICE}"));
        assert!(
            forged.problem.contains("written by bbbb"),
            "{}",
            forged.problem
        );

        // Deciding counts what the read model counts: the forged block does not block.
        write(&mut doc, 1, |d| {
            let outcome = assembly::decide(d, &stamp(ALICE), &p).unwrap();
            assert_eq!(outcome, Outcome::Passed);
        });
    }

    #[test]
    fn without_the_groups_devices_the_claims_stand_as_written() {
        let mut doc = Document::create(Kind::Assembly, "March", device(1), &stamp(ALICE)).unwrap();
        let p =
            assembly::add_proposal(&mut doc, &stamp(ALICE), "Strike", "", Rule::Majority).unwrap();
        write(&mut doc, 2, |d| {
            assembly::set_position(d, &stamp(ALICE), &p, ALICE, Stance::Block, "").unwrap();
        });
        let View::Assembly(read) = doc.view().unwrap() else {
            panic!("not an assembly")
        };
        assert_eq!(read.proposals[0].positions.len(), 1);
    }

    #[test]
    fn who_made_an_entry_commented_or_decided_is_the_device_that_signed_it() {
        // Bob's device writes everything while claiming to be Alice.
        let mut board = Document::create(Kind::Board, "Tasks", device(1), &stamp(ALICE)).unwrap();
        let mut assembly =
            Document::create(Kind::Assembly, "March", device(1), &stamp(ALICE)).unwrap();
        let (mut card, mut p) = (String::new(), String::new());
        write(&mut board, 2, |d| {
            let column = board::add_column(d, &stamp(ALICE), "To do").unwrap();
            card = board::add_card(d, &stamp(ALICE), &column, "Flyers").unwrap();
            board::add_comment(d, &stamp(ALICE), &card, "Done by Friday").unwrap();
        });
        write(&mut assembly, 2, |d| {
            p = assembly::add_proposal(d, &stamp(ALICE), "Strike", "", Rule::Majority).unwrap();
            assembly::set_position(d, &stamp(BOB), &p, BOB, Stance::Agree, "").unwrap();
            assembly::decide(d, &stamp(ALICE), &p).unwrap();
        });
        for doc in [&mut board, &mut assembly] {
            doc.set_authors(authors());
        }

        let View::Board(read) = board.view().unwrap() else {
            panic!("not a board")
        };
        let card = &read.columns[0].cards[0];
        assert_eq!(card.created_by, BOB);
        assert_eq!(card.comments[0].author, BOB);
        // The document itself is Alice's: her device made it.
        assert_eq!(read.created_by, ALICE);
        let View::Assembly(read) = assembly.view().unwrap() else {
            panic!("not an assembly")
        };
        assert_eq!(read.proposals[0].created_by, BOB);
        assert_eq!(read.decisions[0].by, BOB);
    }
}
