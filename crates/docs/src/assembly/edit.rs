//! The typed operations of an assembly: each one commit (see the module docs).

use automerge::ObjType;
use automerge::transaction::Transactable;

use super::*;
use crate::document::{DELETED, RANK, find, find_live, live_slots, place, put_opt_str, put_text};
use crate::id::new_id;
use crate::input::{self, short};
use crate::schema::Node;
use crate::{Document, Error, Kind, Stamp};

/// Sets or clears one of the assembly's optional details.
fn set_detail(
    doc: &mut Document,
    stamp: &Stamp,
    key: &'static str,
    label: &str,
    value: Option<&str>,
) -> Result<(), Error> {
    let value = input::optional(value);
    doc.transact(Kind::Assembly, stamp, |tx| {
        put_opt_str(tx, &automerge::ROOT, key, value)?;
        let message = match value {
            Some(v) => format!("set the {label} to “{}”", short(v)),
            None => format!("cleared the {label}"),
        };
        Ok(((), message))
    })
}

/// Sets or clears when the assembly takes place (free text such as "2026-12-01 18:30").
pub fn set_scheduled_at(
    doc: &mut Document,
    stamp: &Stamp,
    when: Option<&str>,
) -> Result<(), Error> {
    set_detail(doc, stamp, SCHEDULED_AT, "time", when)
}

/// Sets or clears where the assembly takes place.
pub fn set_place(doc: &mut Document, stamp: &Stamp, place: Option<&str>) -> Result<(), Error> {
    set_detail(doc, stamp, PLACE, "place", place)
}

/// Sets or clears the facilitator (a member id).
pub fn set_facilitator(
    doc: &mut Document,
    stamp: &Stamp,
    member: Option<&str>,
) -> Result<(), Error> {
    set_detail(doc, stamp, FACILITATOR, "facilitator", member)
}

/// Sets or clears the note taker (a member id).
pub fn set_note_taker(
    doc: &mut Document,
    stamp: &Stamp,
    member: Option<&str>,
) -> Result<(), Error> {
    set_detail(doc, stamp, NOTE_TAKER, "note taker", member)
}

/// Records `member` as present.
pub fn mark_present(doc: &mut Document, stamp: &Stamp, member: &str) -> Result<(), Error> {
    let member = input::required("member", member)?;
    doc.transact(Kind::Assembly, stamp, |tx| {
        let set = Node::root(tx).map(ATTENDANCE)?.id;
        tx.put(&set, member, true)?;
        Ok(((), format!("marked {member} present")))
    })
}

/// Records `member` as absent (removes them from the attendance).
pub fn mark_absent(doc: &mut Document, stamp: &Stamp, member: &str) -> Result<(), Error> {
    let member = input::required("member", member)?;
    doc.transact(Kind::Assembly, stamp, |tx| {
        let set = Node::root(tx).map(ATTENDANCE)?.id;
        put_opt_str(tx, &set, member, None)?;
        Ok(((), format!("marked {member} absent")))
    })
}

/// Adds an item at the end of the agenda; returns its id.
pub fn add_agenda_item(
    doc: &mut Document,
    stamp: &Stamp,
    title: &str,
    time_box_minutes: Option<u32>,
) -> Result<String, Error> {
    let title = input::required("agenda item title", title)?;
    doc.transact(Kind::Assembly, stamp, |tx| {
        let agenda = Node::root(tx).map(AGENDA)?;
        let slots = live_slots(&agenda, None)?;
        let agenda = agenda.id;
        let rank = place(tx, &slots, slots.len(), AGENDA)?;
        let id = new_id();
        let item = tx.put_object(&agenda, &id, ObjType::Map)?;
        tx.put(&item, TITLE, title)?;
        if let Some(m) = time_box_minutes {
            tx.put(&item, TIME_BOX, m)?;
        }
        tx.put(&item, STATUS, AgendaStatus::Pending.as_str())?;
        put_text(tx, &item, NOTES, "")?;
        tx.put(&item, RANK, rank)?;
        tx.put(&item, DELETED, false)?;
        tx.put(&item, CREATED_BY, stamp.member.as_str())?;
        tx.put(&item, CREATED_AT, stamp.time)?;
        Ok((id, format!("added “{}” to the agenda", short(title))))
    })
}

/// Renames an agenda item.
pub fn set_agenda_title(
    doc: &mut Document,
    stamp: &Stamp,
    item: &str,
    title: &str,
) -> Result<(), Error> {
    let title = input::required("agenda item title", title)?;
    doc.transact(Kind::Assembly, stamp, |tx| {
        let agenda = Node::root(tx).map(AGENDA)?;
        let (_, node) = find_live(&agenda, "agenda item", item)?;
        let old = node.string(TITLE)?;
        let obj = node.id;
        tx.put(&obj, TITLE, title)?;
        Ok((
            (),
            format!(
                "renamed agenda item “{}” to “{}”",
                short(&old),
                short(title)
            ),
        ))
    })
}

/// Sets or clears an agenda item's time box, in minutes.
pub fn set_time_box(
    doc: &mut Document,
    stamp: &Stamp,
    item: &str,
    minutes: Option<u32>,
) -> Result<(), Error> {
    doc.transact(Kind::Assembly, stamp, |tx| {
        let agenda = Node::root(tx).map(AGENDA)?;
        let (_, node) = find_live(&agenda, "agenda item", item)?;
        let title = node.string(TITLE)?;
        let obj = node.id;
        let message = match minutes {
            Some(m) => {
                tx.put(&obj, TIME_BOX, m)?;
                format!("gave “{}” {m} minutes", short(&title))
            }
            None => {
                put_opt_str(tx, &obj, TIME_BOX, None)?;
                format!("removed the time box of “{}”", short(&title))
            }
        };
        Ok(((), message))
    })
}

/// Moves an agenda item to `position` among the other live items (0 is first; past the end
/// means last).
pub fn move_agenda_item(
    doc: &mut Document,
    stamp: &Stamp,
    item: &str,
    position: usize,
) -> Result<(), Error> {
    doc.transact(Kind::Assembly, stamp, |tx| {
        let agenda = Node::root(tx).map(AGENDA)?;
        let (id, node) = find_live(&agenda, "agenda item", item)?;
        let title = node.string(TITLE)?;
        let others = live_slots(&agenda, Some(&id))?;
        let obj = node.id;
        let rank = place(tx, &others, position, AGENDA)?;
        tx.put(&obj, RANK, rank)?;
        let shown = position.min(others.len()) + 1;
        Ok((
            (),
            format!("moved “{}” to place {shown} on the agenda", short(&title)),
        ))
    })
}

/// Sets where an agenda item stands.
pub fn set_agenda_status(
    doc: &mut Document,
    stamp: &Stamp,
    item: &str,
    status: AgendaStatus,
) -> Result<(), Error> {
    doc.transact(Kind::Assembly, stamp, |tx| {
        let agenda = Node::root(tx).map(AGENDA)?;
        let (_, node) = find_live(&agenda, "agenda item", item)?;
        let title = node.string(TITLE)?;
        let obj = node.id;
        tx.put(&obj, STATUS, status.as_str())?;
        Ok(((), format!("marked “{}” {status}", short(&title))))
    })
}

/// Replaces an agenda item's notes with `notes`, as a minimal text diff.
pub fn set_agenda_notes(
    doc: &mut Document,
    stamp: &Stamp,
    item: &str,
    notes: &str,
) -> Result<(), Error> {
    doc.transact(Kind::Assembly, stamp, |tx| {
        let agenda = Node::root(tx).map(AGENDA)?;
        let (_, node) = find_live(&agenda, "agenda item", item)?;
        let title = node.string(TITLE)?;
        let text = node.text_id(NOTES)?;
        tx.update_text(&text, notes)?;
        Ok(((), format!("edited the notes on “{}”", short(&title))))
    })
}

/// Deletes an agenda item (it can be restored; see the module doc).
pub fn delete_agenda_item(doc: &mut Document, stamp: &Stamp, item: &str) -> Result<(), Error> {
    set_agenda_deleted(doc, stamp, item, true)
}

/// Brings a deleted agenda item back, with any edits made meanwhile.
pub fn restore_agenda_item(doc: &mut Document, stamp: &Stamp, item: &str) -> Result<(), Error> {
    set_agenda_deleted(doc, stamp, item, false)
}

fn set_agenda_deleted(
    doc: &mut Document,
    stamp: &Stamp,
    item: &str,
    deleted: bool,
) -> Result<(), Error> {
    doc.transact(Kind::Assembly, stamp, |tx| {
        let agenda = Node::root(tx).map(AGENDA)?;
        let (_, node) = find(&agenda, "agenda item", item)?;
        let title = node.string(TITLE)?;
        let obj = node.id;
        tx.put(&obj, DELETED, deleted)?;
        let verb = if deleted { "deleted" } else { "restored" };
        Ok(((), format!("{verb} agenda item “{}”", short(&title))))
    })
}

/// Puts a proposal forward; returns its id.
pub fn add_proposal(
    doc: &mut Document,
    stamp: &Stamp,
    title: &str,
    text: &str,
    rule: Rule,
) -> Result<String, Error> {
    let title = input::required("proposal title", title)?;
    let text = text.trim();
    doc.transact(Kind::Assembly, stamp, |tx| {
        let proposals = Node::root(tx).map(PROPOSALS)?.id;
        let id = new_id();
        let p = tx.put_object(&proposals, &id, ObjType::Map)?;
        tx.put(&p, TITLE, title)?;
        tx.put(&p, TEXT, text)?;
        tx.put(&p, RULE, rule.as_str())?;
        tx.put_object(&p, POSITIONS, ObjType::Map)?;
        tx.put(&p, CREATED_BY, stamp.member.as_str())?;
        tx.put(&p, CREATED_AT, stamp.time)?;
        Ok((
            id,
            format!("proposed “{}” (decided by {rule})", short(title)),
        ))
    })
}

/// Records `member`'s position on a proposal, replacing any earlier one of theirs. The
/// stamp's member is recorded as who wrote it down. Refused once the proposal is decided.
pub fn set_position(
    doc: &mut Document,
    stamp: &Stamp,
    proposal: &str,
    member: &str,
    stance: Stance,
    reason: &str,
) -> Result<(), Error> {
    let member = input::required("member", member)?;
    let reason = reason.trim();
    let writer = doc.writer();
    doc.transact(Kind::Assembly, stamp, |tx| {
        let root = Node::root(tx);
        // Every device counts only positions its member signed, or that the facilitator or
        // the note-taker recorded for someone: refuse here what nobody would count.
        if let Some(writer) = &writer
            && writer != member
        {
            let roles = [root.opt_string(FACILITATOR)?, root.opt_string(NOTE_TAKER)?];
            if !roles.iter().any(|r| r.as_deref() == Some(writer.as_str())) {
                return Err(Error::InvalidArgument {
                    what: "member",
                    reason:
                        "only the facilitator or the note-taker may record someone else's position"
                            .into(),
                });
            }
        }
        let (id, node) = find(&root.map(PROPOSALS)?, "proposal", proposal)?;
        let title = node.string(TITLE)?;
        if root.map(DECISIONS)?.keys().contains(&id) {
            return Err(Error::AlreadyDecided { proposal: title });
        }
        let positions = node.map(POSITIONS)?.id;
        // One new map per position: a concurrent change by the same member replaces the whole
        // position rather than mixing one device's stance with another's reason.
        let p = tx.put_object(&positions, member, ObjType::Map)?;
        tx.put(&p, STANCE, stance.as_str())?;
        tx.put(&p, REASON, reason)?;
        tx.put(&p, TIME, stamp.time)?;
        tx.put(&p, RECORDED_BY, stamp.member.as_str())?;
        Ok((
            (),
            format!(
                "recorded {member}'s position on “{}”: {stance}",
                short(&title)
            ),
        ))
    })
}

/// Closes a proposal: records its current outcome and tally in the decision register, and
/// returns the outcome. Refused when nobody has taken a position or it is already decided.
pub fn decide(doc: &mut Document, stamp: &Stamp, proposal: &str) -> Result<Outcome, Error> {
    // The tally the read model shows: positions cast in another member's name (when the
    // document knows who signed what) are not counted here either.
    let tallies: std::collections::HashMap<String, Tally> = match doc.view()? {
        crate::View::Assembly(assembly) => assembly
            .proposals
            .iter()
            .map(|p| (p.id.clone(), p.tally))
            .collect(),
        _ => std::collections::HashMap::new(),
    };
    doc.transact(Kind::Assembly, stamp, |tx| {
        let root = Node::root(tx);
        let (id, node) = find(&root.map(PROPOSALS)?, "proposal", proposal)?;
        let title = node.string(TITLE)?;
        let decisions = root.map(DECISIONS)?;
        if decisions.keys().contains(&id) {
            return Err(Error::AlreadyDecided { proposal: title });
        }
        let rule: Rule = node.word(RULE, "decision rule")?;
        let tally = tallies.get(&id).copied().unwrap_or_default();
        let result = outcome(rule, &tally);
        if result == Outcome::Pending {
            return Err(Error::NoPositions { proposal: title });
        }
        let decisions = decisions.id;
        let d = tx.put_object(&decisions, &id, ObjType::Map)?;
        tx.put(&d, ID, decision_id(&id))?;
        tx.put(&d, TITLE, title.as_str())?;
        tx.put(&d, OUTCOME, result.as_str())?;
        tx.put(&d, TIME, stamp.time)?;
        tx.put(&d, BY, stamp.member.as_str())?;
        let t = tx.put_object(&d, TALLY, ObjType::Map)?;
        tx.put(&t, "agree", tally.agree)?;
        tx.put(&t, "abstain", tally.abstain)?;
        tx.put(&t, "disagree", tally.disagree)?;
        tx.put(&t, "block", tally.block)?;
        Ok((result, format!("decided “{}”: {result}", short(&title))))
    })
}

/// Replaces the minutes with `text`, as a minimal text diff so that concurrent edits
/// elsewhere in the minutes survive.
pub fn set_minutes(doc: &mut Document, stamp: &Stamp, text: &str) -> Result<(), Error> {
    doc.transact(Kind::Assembly, stamp, |tx| {
        let minutes = Node::root(tx).text_id(MINUTES)?;
        tx.update_text(&minutes, text)?;
        Ok(((), "edited the minutes".to_owned()))
    })
}

/// Adds an action item; returns its id.
pub fn add_action(
    doc: &mut Document,
    stamp: &Stamp,
    text: &str,
    assignee: Option<&str>,
) -> Result<String, Error> {
    let text = input::required("action", text)?;
    let assignee = input::optional(assignee);
    doc.transact(Kind::Assembly, stamp, |tx| {
        let actions = Node::root(tx).map(ACTIONS)?.id;
        let id = new_id();
        let a = tx.put_object(&actions, &id, ObjType::Map)?;
        tx.put(&a, TEXT, text)?;
        put_opt_str(tx, &a, ASSIGNEE, assignee)?;
        tx.put(&a, DONE, false)?;
        tx.put(&a, CREATED_BY, stamp.member.as_str())?;
        tx.put(&a, CREATED_AT, stamp.time)?;
        let message = match assignee {
            Some(who) => format!("added action “{}” for {who}", short(text)),
            None => format!("added action “{}”", short(text)),
        };
        Ok((id, message))
    })
}

/// Links an action item to a board card, or removes the link.
pub fn link_action_card(
    doc: &mut Document,
    stamp: &Stamp,
    action: &str,
    link: Option<&CardLink>,
) -> Result<(), Error> {
    if let Some(l) = link {
        input::required("card id", &l.card)?;
    }
    doc.transact(Kind::Assembly, stamp, |tx| {
        let actions = Node::root(tx).map(ACTIONS)?;
        let (_, node) = find(&actions, "action", action)?;
        let text = node.string(TEXT)?;
        let obj = node.id;
        let message = match link {
            Some(l) => {
                let c = tx.put_object(&obj, CARD, ObjType::Map)?;
                tx.put(&c, DOC, l.doc.to_string())?;
                tx.put(&c, CARD, l.card.trim())?;
                format!("linked action “{}” to a card", short(&text))
            }
            None => {
                put_opt_str(tx, &obj, CARD, None)?;
                format!("unlinked action “{}” from its card", short(&text))
            }
        };
        Ok(((), message))
    })
}

/// Marks an action item done or not done.
pub fn set_action_done(
    doc: &mut Document,
    stamp: &Stamp,
    action: &str,
    done: bool,
) -> Result<(), Error> {
    doc.transact(Kind::Assembly, stamp, |tx| {
        let actions = Node::root(tx).map(ACTIONS)?;
        let (_, node) = find(&actions, "action", action)?;
        let text = node.string(TEXT)?;
        let obj = node.id;
        tx.put(&obj, DONE, done)?;
        let state = if done { "done" } else { "not done" };
        Ok(((), format!("marked action “{}” {state}", short(&text))))
    })
}
