//! Assemblies: a meeting's agenda, proposals and positions, decision register, minutes and
//! action items.
//!
//! Stored shape (root of an `assembly` document, besides the common header):
//! ```text
//! scheduled_at?: str   place?: str   facilitator?: str   note_taker?: str
//! attendance: { <member>: true }
//! agenda:    { <id>: { title: str, time_box_minutes?: int, status: "pending"|"current"|"done",
//!                      notes: text, rank: str, deleted: bool, created_by: str, created_at: int } }
//! proposals: { <id>: { title: str, text: str, rule: "consent"|"consensus"|"majority"|"two-thirds",
//!                      positions: { <member>: { stance: "agree"|"abstain"|"disagree"|"block",
//!                                               reason: str, time: int, recorded_by: str } },
//!                      created_by: str, created_at: int } }
//! decisions: { <proposal id>: { id?: str, title: str, outcome: str, time: int, by: str,
//!                               tally: { agree: int, abstain: int, disagree: int, block: int } } }
//! minutes: text
//! actions:   { <id>: { text: str, assignee?: str, card?: { doc: str, card: str }, done: bool,
//!                      created_by: str, created_at: int } }
//! ```
//!
//! Concurrency, by construction:
//! - Positions are keyed by member and each is written as one new map, so a member's
//!   position counts once however often (and from however many devices) they change it; if
//!   two of their devices record one at the same time, one whole position wins, the same on
//!   every peer. Positions by different members never conflict.
//! - Tally and outcome are not stored: every peer computes them from the positions with the
//!   pure function [`outcome`], so they are the same on every replica holding the same
//!   changes.
//! - A decision is keyed by its proposal: deciding the same proposal on two devices at once
//!   leaves one register entry, not two. Its id is derived from the proposal's
//!   ([`decision_id`]) rather than drawn at random, so both devices print the id that stays;
//!   entries written before decisions had ids read with the same derived id (no migration).
//! - Agenda items are ordered by (rank, id); deletion is a `deleted` flag, so notes written
//!   concurrently with a deletion are kept and come back on restore.
//! - Notes and minutes are Automerge text edited with `update_text`.
//!
//! Decision rules ([`outcome`]); "no positions" is always [`Outcome::Pending`]:
//! - consent: any block → Blocked; else at least one agree → Passed; else Failed.
//! - consensus: any block → Blocked; else at least one agree and no disagree → Passed; else
//!   Failed.
//! - majority: agree > disagree + block → Passed, else Failed; abstentions are not counted.
//! - two-thirds: agree > 0 and 3·agree ≥ 2·(agree + disagree + block) → Passed, else Failed;
//!   abstentions are not counted.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType};
use serde::{Deserialize, Serialize};

use crate::Authors;
use crate::document::{DELETED, Header, RANK, put_text};
use crate::id::resolve;
use crate::schema::{Node, SetAside, or_aside};
use crate::{DocId, Error, SchemaError};

const SCHEDULED_AT: &str = "scheduled_at";
const PLACE: &str = "place";
const FACILITATOR: &str = "facilitator";
const NOTE_TAKER: &str = "note_taker";
const ATTENDANCE: &str = "attendance";
const AGENDA: &str = "agenda";
const PROPOSALS: &str = "proposals";
const DECISIONS: &str = "decisions";
const MINUTES: &str = "minutes";
const ACTIONS: &str = "actions";
const TITLE: &str = "title";
const TIME_BOX: &str = "time_box_minutes";
const STATUS: &str = "status";
const NOTES: &str = "notes";
const TEXT: &str = "text";
const RULE: &str = "rule";
const POSITIONS: &str = "positions";
const STANCE: &str = "stance";
const REASON: &str = "reason";
const TIME: &str = "time";
const RECORDED_BY: &str = "recorded_by";
const OUTCOME: &str = "outcome";
const TALLY: &str = "tally";
const BY: &str = "by";
const ID: &str = "id";
const ASSIGNEE: &str = "assignee";
const CARD: &str = "card";
const DOC: &str = "doc";
const DONE: &str = "done";
const CREATED_BY: &str = "created_by";
const CREATED_AT: &str = "created_at";

words! {
    /// Where an agenda item stands.
    pub enum AgendaStatus ("agenda status") {
        /// Not discussed yet.
        Pending = "pending",
        /// Being discussed now.
        Current = "current",
        /// Discussed.
        Done = "done",
    }
}

words! {
    /// How a proposal is decided; see the module doc for the exact rules.
    pub enum Rule ("decision rule") {
        /// Passes unless someone blocks.
        Consent = "consent",
        /// Passes when nobody disagrees or blocks.
        Consensus = "consensus",
        /// Passes with more agree than disagree and block together.
        Majority = "majority",
        /// Passes with at least two thirds of the non-abstaining positions agreeing.
        TwoThirds = "two-thirds",
    }
}

words! {
    /// A member's position on a proposal.
    pub enum Stance ("stance") {
        /// In favour.
        Agree = "agree",
        /// Stands aside.
        Abstain = "abstain",
        /// Against, without stopping it under consent.
        Disagree = "disagree",
        /// Against, and stopping it under consent or consensus.
        Block = "block",
    }
}

words! {
    /// Where a proposal stands, computed by [`outcome`].
    pub enum Outcome ("outcome") {
        /// Nobody has taken a position yet.
        Pending = "pending",
        /// The rule is met.
        Passed = "passed",
        /// The rule is not met.
        Failed = "failed",
        /// Blocked (consent and consensus only).
        Blocked = "blocked",
    }
}

/// How many members took each stance.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Tally {
    /// Members who agree.
    pub agree: u32,
    /// Members who abstain.
    pub abstain: u32,
    /// Members who disagree.
    pub disagree: u32,
    /// Members who block.
    pub block: u32,
}

impl Tally {
    /// Counts stances, one per entry.
    pub fn count<I: IntoIterator<Item = Stance>>(stances: I) -> Tally {
        let mut t = Tally::default();
        for s in stances {
            let n = match s {
                Stance::Agree => &mut t.agree,
                Stance::Abstain => &mut t.abstain,
                Stance::Disagree => &mut t.disagree,
                Stance::Block => &mut t.block,
            };
            *n = n.saturating_add(1);
        }
        t
    }

    /// Everyone who took a position.
    pub fn total(&self) -> u64 {
        u64::from(self.agree)
            + u64::from(self.abstain)
            + u64::from(self.disagree)
            + u64::from(self.block)
    }
}

/// The outcome of a proposal under `rule` with these positions (see the module doc). A pure
/// function of its arguments, so every peer computes the same outcome from the same tally.
pub fn outcome(rule: Rule, tally: &Tally) -> Outcome {
    if tally.total() == 0 {
        return Outcome::Pending;
    }
    let agree = u64::from(tally.agree);
    let against = u64::from(tally.disagree) + u64::from(tally.block);
    let passed = match rule {
        Rule::Consent | Rule::Consensus if tally.block > 0 => return Outcome::Blocked,
        Rule::Consent => agree > 0,
        Rule::Consensus => agree > 0 && tally.disagree == 0,
        Rule::Majority => agree > against,
        Rule::TwoThirds => agree > 0 && 3 * agree >= 2 * (agree + against),
    };
    if passed {
        Outcome::Passed
    } else {
        Outcome::Failed
    }
}

/// An assembly as read from its document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Assembly {
    /// The assembly's title.
    pub title: String,
    /// When the document was created (unix seconds).
    pub created_at: i64,
    /// Who created it.
    pub created_by: String,
    /// When it takes place, as people wrote it (e.g. "2026-12-01 18:30").
    pub scheduled_at: Option<String>,
    /// Where.
    pub place: Option<String>,
    /// The facilitator's member id.
    pub facilitator: Option<String>,
    /// The note taker's member id.
    pub note_taker: Option<String>,
    /// Member ids of those present, sorted.
    pub attendance: Vec<String>,
    /// The live agenda, in order.
    pub agenda: Vec<AgendaItem>,
    /// Deleted agenda items, which can be restored.
    pub deleted_agenda: Vec<AgendaItem>,
    /// The proposals, oldest first.
    pub proposals: Vec<Proposal>,
    /// The decision register, oldest first.
    pub decisions: Vec<Decision>,
    /// The minutes (collaborative text).
    pub minutes: String,
    /// Action items, oldest first.
    pub actions: Vec<ActionItem>,
    /// Entries that do not read (a malformed change), left out.
    #[serde(default)]
    pub set_aside: Vec<SetAside>,
}

impl Assembly {
    /// The proposal with this full id.
    pub fn proposal(&self, id: &str) -> Option<&Proposal> {
        self.proposals.iter().find(|p| p.id == id)
    }

    /// The agenda item with this full id, live or deleted.
    pub fn agenda_item(&self, id: &str) -> Option<&AgendaItem> {
        self.agenda
            .iter()
            .chain(&self.deleted_agenda)
            .find(|i| i.id == id)
    }

    /// The decision on the proposal named by its id or a unique prefix of it.
    pub fn decision_on(&self, proposal: &str) -> Result<&Decision, Error> {
        let decided = self.decisions.iter().map(|d| d.proposal.as_str());
        let id = resolve("decision", decided, proposal)?;
        self.decisions
            .iter()
            .find(|d| d.proposal == id)
            .ok_or(Error::NotFound {
                what: "decision",
                id,
            })
    }

    /// The action item named by its id or a unique prefix of it.
    pub fn find_action(&self, action: &str) -> Result<&ActionItem, Error> {
        let id = resolve("action", self.actions.iter().map(|a| a.id.as_str()), action)?;
        self.actions
            .iter()
            .find(|a| a.id == id)
            .ok_or(Error::NotFound { what: "action", id })
    }
}

/// An item of the agenda.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct AgendaItem {
    /// Its id.
    pub id: String,
    /// What is discussed.
    pub title: String,
    /// How long it may take, in minutes.
    pub time_box_minutes: Option<u32>,
    /// Where it stands.
    pub status: AgendaStatus,
    /// Notes taken on it (collaborative text).
    pub notes: String,
    /// Who added it.
    pub created_by: String,
    /// When (unix seconds).
    pub created_at: i64,
    /// Whether it is deleted.
    pub deleted: bool,
}

/// A proposal with its positions and computed outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Proposal {
    /// Its id.
    pub id: String,
    /// A short name.
    pub title: String,
    /// What exactly is proposed.
    pub text: String,
    /// How it is decided.
    pub rule: Rule,
    /// One position per member, sorted by member.
    pub positions: Vec<Position>,
    /// The positions counted.
    pub tally: Tally,
    /// `outcome(rule, &tally)`.
    pub outcome: Outcome,
    /// Whether it has been decided (see [`Assembly::decisions`]).
    pub decided: bool,
    /// Who proposed it.
    pub created_by: String,
    /// When (unix seconds).
    pub created_at: i64,
}

/// A member's position on a proposal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Position {
    /// Whose position.
    pub member: String,
    /// The stance taken.
    pub stance: Stance,
    /// Why, in their words (may be empty).
    pub reason: String,
    /// When it was recorded (unix seconds).
    pub time: i64,
    /// Who recorded it (the member themself, or e.g. the note taker).
    pub recorded_by: String,
}

/// An entry of the decision register.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Decision {
    /// Its id: [`decision_id`] of its proposal.
    pub id: String,
    /// The id of the proposal decided.
    pub proposal: String,
    /// The proposal's title when decided.
    pub title: String,
    /// The outcome when decided.
    pub outcome: Outcome,
    /// The tally when decided.
    pub tally: Tally,
    /// When (unix seconds).
    pub time: i64,
    /// Who recorded the decision.
    pub by: String,
}

/// A link from an action item to a card on a board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CardLink {
    /// The board document.
    #[cfg_attr(feature = "specta", specta(type = String))]
    pub doc: DocId,
    /// The card's id on that board.
    pub card: String,
}

/// Something someone will do after the assembly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ActionItem {
    /// Its id.
    pub id: String,
    /// What is to be done.
    pub text: String,
    /// Who does it (member id).
    pub assignee: Option<String>,
    /// The board card tracking it.
    pub card: Option<CardLink>,
    /// Whether it is done.
    pub done: bool,
    /// Who added it.
    pub created_by: String,
    /// When (unix seconds).
    pub created_at: i64,
}

/// Creates the empty collections of a new assembly.
pub(crate) fn init(doc: &mut AutoCommit) -> Result<(), Error> {
    let root = automerge::ROOT;
    for key in [ATTENDANCE, AGENDA, PROPOSALS, DECISIONS, ACTIONS] {
        doc.put_object(&root, key, ObjType::Map)?;
    }
    put_text(doc, &root, MINUTES, "")?;
    Ok(())
}

/// Reads and checks a whole assembly.
pub(crate) fn read(
    root: &Node<'_>,
    header: Header,
    authors: Option<&Authors>,
) -> Result<Assembly, SchemaError> {
    let mut set_aside = Vec::new();
    let facilitator = or_aside(root.opt_string(FACILITATOR), &mut set_aside);
    let note_taker = or_aside(root.opt_string(NOTE_TAKER), &mut set_aside);
    let mut agenda = root.read_each_at(AGENDA, &mut set_aside, |id, node| {
        let item = AgendaItem {
            title: node.string(TITLE)?,
            time_box_minutes: node.opt_u32(TIME_BOX)?,
            status: node.word(STATUS, "agenda status")?,
            notes: node.text(NOTES)?,
            created_by: node.author(CREATED_BY)?,
            created_at: node.int(CREATED_AT)?,
            deleted: node.boolean(DELETED)?,
            id,
        };
        Ok((node.rank(RANK)?, item))
    });
    agenda.sort_by(|a, b| (&a.0, &a.1.id).cmp(&(&b.0, &b.1.id)));
    let (deleted_agenda, agenda): (Vec<_>, Vec<_>) =
        agenda.into_iter().map(|(_, i)| i).partition(|i| i.deleted);

    let mut decisions = root.read_each_at(DECISIONS, &mut set_aside, |proposal, node| {
        let tally = node.map(TALLY)?;
        Ok(Decision {
            id: node
                .opt_string(ID)?
                .unwrap_or_else(|| decision_id(&proposal)),
            title: node.string(TITLE)?,
            outcome: node.word(OUTCOME, "outcome")?,
            tally: Tally {
                agree: count(&tally, "agree")?,
                abstain: count(&tally, "abstain")?,
                disagree: count(&tally, "disagree")?,
                block: count(&tally, "block")?,
            },
            time: node.int(TIME)?,
            by: node.author(BY)?,
            proposal,
        })
    });
    decisions.sort_by(|a, b| (a.time, &a.proposal).cmp(&(b.time, &b.proposal)));

    let mut forged: Vec<SetAside> = Vec::new();
    let mut proposals = root.read_each_at(PROPOSALS, &mut set_aside, |id, node| {
        let rule: Rule = node.word(RULE, "decision rule")?;
        let mut positions = Vec::new();
        let positions_node = node.map(POSITIONS)?;
        for (member, p) in positions_node.children()? {
            let mut position = Position {
                stance: p.word(STANCE, "stance")?,
                reason: p.string(REASON)?,
                time: p.int(TIME)?,
                recorded_by: p.string(RECORDED_BY)?,
                member,
            };
            if let Some(authors) = authors {
                match authorship(authors, &p, &position, &facilitator, &note_taker) {
                    Ok(writer) => position.recorded_by = writer,
                    Err(problem) => {
                        forged.push(positions_node.error(&position.member, problem).into());
                        continue;
                    }
                }
            }
            positions.push(position);
        }
        let tally = Tally::count(positions.iter().map(|p| p.stance));
        Ok(Proposal {
            title: node.string(TITLE)?,
            text: node.string(TEXT)?,
            rule,
            positions,
            tally,
            outcome: outcome(rule, &tally),
            decided: decisions.iter().any(|d| d.proposal == id),
            created_by: node.author(CREATED_BY)?,
            created_at: node.int(CREATED_AT)?,
            id,
        })
    });
    proposals.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    set_aside.extend(forged);
    decisions.retain(|d| {
        let known = proposals.iter().any(|p| p.id == d.proposal);
        if !known {
            let orphan = root.error(
                &format!("{DECISIONS}/{}", d.proposal),
                "no proposal has this id",
            );
            set_aside.push(orphan.into());
        }
        known
    });

    let mut actions = root.read_each_at(ACTIONS, &mut set_aside, |id, node| {
        let card = match node.opt_map(CARD)? {
            None => None,
            Some(link) => Some(CardLink {
                doc: link
                    .string(DOC)?
                    .parse()
                    .map_err(|e| link.error(DOC, format!("not a document id: {e}")))?,
                card: link.string(CARD)?,
            }),
        };
        Ok(ActionItem {
            text: node.string(TEXT)?,
            assignee: node.opt_string(ASSIGNEE)?,
            card,
            done: node.boolean(DONE)?,
            created_by: node.author(CREATED_BY)?,
            created_at: node.int(CREATED_AT)?,
            id,
        })
    });
    actions.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));

    Ok(Assembly {
        title: header.title,
        created_at: header.created_at,
        created_by: header.created_by,
        scheduled_at: or_aside(root.opt_string(SCHEDULED_AT), &mut set_aside),
        place: or_aside(root.opt_string(PLACE), &mut set_aside),
        facilitator,
        note_taker,
        attendance: or_aside(
            root.map(ATTENDANCE)
                .map(|set| set.set_or_aside(&mut set_aside)),
            &mut set_aside,
        ),
        agenda,
        deleted_agenda,
        proposals,
        decisions,
        minutes: or_aside(root.text(MINUTES), &mut set_aside),
        actions,
        set_aside,
    })
}

/// The id of the decision on `proposal`: 13 base32 characters like every id in a document,
/// derived from the proposal's id (SHA-256 with a domain tag), so that it is the same on
/// every device that decides the proposal, and for entries stored before decisions had ids.
pub fn decision_id(proposal: &str) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::new()
        .chain_update(b"mutual decision id\0")
        .chain_update(proposal.as_bytes())
        .finalize();
    data_encoding::BASE32_NOPAD
        .encode(&digest[..8])
        .to_ascii_lowercase()
}

fn count(node: &Node<'_>, key: &str) -> Result<u32, SchemaError> {
    let n = node.uint(key)?;
    u32::try_from(n).map_err(|_| node.error(key, format!("{n} is too large")))
}

mod edit;
mod op;

pub use edit::*;
pub use op::Op;

/// Who recorded `position`, from the device that signed it: the member themself, or the
/// assembly's facilitator or note-taker recording it for them (visibly: the position names
/// them as its recorder). Anything else is a position cast in another member's name, which
/// is not counted; the sentence says why.
fn authorship(
    authors: &Authors,
    node: &Node<'_>,
    position: &Position,
    facilitator: &Option<String>,
    note_taker: &Option<String>,
) -> Result<String, String> {
    let Some(writer) = authors.writer_of(&node.id) else {
        return Err(format!(
            "a position for {} written by a device the group does not know: not counted",
            position.member
        ));
    };
    if writer == position.member {
        return Ok(writer.to_owned());
    }
    let may_record = [facilitator, note_taker]
        .iter()
        .any(|role| role.as_deref() == Some(writer));
    if may_record && position.recorded_by == writer {
        return Ok(writer.to_owned());
    }
    Err(format!(
        "a position for {} written by {writer}, who may not record it for them: not counted",
        position.member
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(agree: u32, abstain: u32, disagree: u32, block: u32) -> Tally {
        Tally {
            agree,
            abstain,
            disagree,
            block,
        }
    }

    #[test]
    fn no_positions_is_pending_under_every_rule() {
        for &rule in Rule::ALL {
            assert_eq!(outcome(rule, &Tally::default()), Outcome::Pending, "{rule}");
        }
    }

    #[test]
    fn consent_passes_with_one_agree_and_no_block() {
        assert_eq!(outcome(Rule::Consent, &tally(1, 0, 0, 0)), Outcome::Passed);
        assert_eq!(outcome(Rule::Consent, &tally(1, 3, 5, 0)), Outcome::Passed);
        assert_eq!(outcome(Rule::Consent, &tally(9, 0, 0, 1)), Outcome::Blocked);
        assert_eq!(outcome(Rule::Consent, &tally(0, 2, 0, 0)), Outcome::Failed);
        assert_eq!(outcome(Rule::Consent, &tally(0, 0, 2, 0)), Outcome::Failed);
    }

    #[test]
    fn consensus_passes_with_agreement_and_no_objection() {
        assert_eq!(
            outcome(Rule::Consensus, &tally(3, 2, 0, 0)),
            Outcome::Passed
        );
        assert_eq!(
            outcome(Rule::Consensus, &tally(3, 0, 1, 0)),
            Outcome::Failed
        );
        assert_eq!(
            outcome(Rule::Consensus, &tally(3, 0, 1, 1)),
            Outcome::Blocked
        );
        assert_eq!(
            outcome(Rule::Consensus, &tally(0, 4, 0, 0)),
            Outcome::Failed
        );
    }

    #[test]
    fn majority_needs_more_agree_than_disagree_and_block() {
        assert_eq!(
            outcome(Rule::Majority, &tally(3, 10, 2, 0)),
            Outcome::Passed
        );
        assert_eq!(outcome(Rule::Majority, &tally(2, 0, 1, 1)), Outcome::Failed);
        assert_eq!(outcome(Rule::Majority, &tally(3, 0, 1, 1)), Outcome::Passed);
        // A block is only a vote against under majority: it does not block.
        assert_eq!(outcome(Rule::Majority, &tally(5, 0, 0, 1)), Outcome::Passed);
        assert_eq!(outcome(Rule::Majority, &tally(0, 3, 0, 0)), Outcome::Failed);
    }

    #[test]
    fn two_thirds_needs_two_thirds_of_those_not_abstaining() {
        assert_eq!(
            outcome(Rule::TwoThirds, &tally(2, 0, 1, 0)),
            Outcome::Passed
        );
        assert_eq!(
            outcome(Rule::TwoThirds, &tally(2, 5, 0, 1)),
            Outcome::Passed
        );
        assert_eq!(
            outcome(Rule::TwoThirds, &tally(3, 0, 2, 0)),
            Outcome::Failed
        );
        assert_eq!(
            outcome(Rule::TwoThirds, &tally(1, 0, 0, 0)),
            Outcome::Passed
        );
        assert_eq!(
            outcome(Rule::TwoThirds, &tally(0, 4, 0, 0)),
            Outcome::Failed
        );
        // Large counts cannot overflow.
        assert_eq!(
            outcome(Rule::TwoThirds, &tally(u32::MAX, 0, u32::MAX, u32::MAX)),
            Outcome::Failed
        );
        assert_eq!(
            outcome(Rule::Majority, &tally(u32::MAX, u32::MAX, u32::MAX, 0)),
            Outcome::Failed
        );
    }

    #[test]
    fn tally_counts_each_stance() {
        use Stance::*;
        let t = Tally::count([Agree, Agree, Block, Abstain, Disagree, Agree]);
        assert_eq!(t, tally(3, 1, 1, 1));
        assert_eq!(t.total(), 6);
    }

    #[test]
    fn words_round_trip() {
        assert_eq!("two-thirds".parse::<Rule>().unwrap(), Rule::TwoThirds);
        assert_eq!(Rule::TwoThirds.to_string(), "two-thirds");
        assert_eq!(
            serde_json::to_string(&Rule::TwoThirds).unwrap(),
            "\"two-thirds\""
        );
        let err = "veto".parse::<Stance>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "“veto” is not a stance (expected one of: agree, abstain, disagree, block)"
        );
    }
}
