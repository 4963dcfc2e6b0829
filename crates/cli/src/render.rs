//! Text for people: documents (`mutual doc show` without `--json`), and the one place that
//! makes members' text safe to print on a terminal.
//!
//! Members' text (titles, names, comments, minutes, history messages, errors that quote
//! them) comes from other people's devices, so it may hold anything. Printed raw, an escape
//! sequence would colour or retitle the reader's terminal, a bell would ring it, a carriage
//! return would overwrite a line, and a newline in a title would fake a card or a column.
//! So every such string goes through [`line`] (one line: every control character shown as
//! an escape, `\n`, `\u{1b}`...) or, where the text is meant to be several lines (minutes,
//! descriptions, a proposal's text), [`block`]: its lines kept, each behind a margin (`│ `)
//! that the structure around it never uses, so that no line of it can pass for a card, a
//! heading or a member. Behind both, [`output`](crate::output) escapes any control character
//! but the newline in everything printed for people, so that a string a printer forgot can at
//! worst add a line, never take over the terminal. `--json` keeps every text exact.

use std::borrow::Cow;
use std::collections::BTreeMap;

use mutual_docs::View;
use mutual_docs::assembly::Assembly;
use mutual_docs::board::Board;
use mutual_docs::index::Index;
use mutual_docs::resources::Resources;
use mutual_node::view::DocView;

/// Member ids to display names, for the document's group.
pub(crate) type Names = BTreeMap<String, String>;

/// `today` ("YYYY-MM-DD", the person's local date) is what loans are overdue against.
pub(crate) fn doc(view: &DocView, names: &Names, today: &str) -> String {
    let name = |id: &str| {
        names
            .get(id)
            .map(|n| line(n).into_owned())
            .unwrap_or_else(|| line(short(id)).into_owned())
    };
    let mut s = match &view.content {
        View::Board(board) => render_board(board, &name),
        View::Assembly(assembly) => render_assembly(assembly, &name),
        View::Resources(resources) => render_resources(resources, &name, today),
        View::Index(index) => render_index(index),
    };
    let aside = view.content.set_aside();
    if !aside.is_empty() {
        say!(
            s,
            "Set aside, unreadable ({} entries; `mutual history` shows who wrote them):",
            aside.len()
        );
        for entry in aside {
            say!(s, "  {}: {}", line(&entry.path), line(&entry.problem));
        }
    }
    s
}

fn render_board(board: &Board, name: &dyn Fn(&str) -> String) -> String {
    let mut s = String::new();
    say!(s, "{}  (board)", line(&board.title));
    if board.columns.is_empty() {
        say!(
            s,
            "\nNo columns yet. Add one with `mutual board add-column DOC NAME`."
        );
    }
    for column in &board.columns {
        say!(s, "\n{}  [{}]", line(&column.name), short(&column.id));
        if column.cards.is_empty() {
            say!(s, "  (empty)");
        }
        for card in &column.cards {
            let mut extras = Vec::new();
            if !card.assignees.is_empty() {
                let who: Vec<_> = card.assignees.iter().map(|m| name(m)).collect();
                extras.push(format!("@{}", who.join(", @")));
            }
            if let Some(due) = &card.due {
                extras.push(format!("due {}", line(due)));
            }
            if !card.labels.is_empty() {
                let labels: Vec<_> = card.labels.iter().map(|l| line(l)).collect();
                extras.push(format!("#{}", labels.join(" #")));
            }
            if !card.checklist.is_empty() {
                let done = card.checklist.iter().filter(|c| c.done).count();
                extras.push(format!("{done}/{} done", card.checklist.len()));
            }
            if !card.comments.is_empty() {
                extras.push(format!("{} comments", card.comments.len()));
            }
            let extras = if extras.is_empty() {
                String::new()
            } else {
                format!("  ({})", extras.join(", "))
            };
            say!(s, "  {}  {}{extras}", short(&card.id), line(&card.title));
            if let Some(first) = card.description.lines().find(|l| !l.trim().is_empty()) {
                say!(s, "{}", block(first.trim(), "            "));
            }
        }
    }
    if !board.deleted_cards.is_empty() {
        say!(s, "\nDeleted: {} cards", board.deleted_cards.len());
    }
    s
}

fn render_assembly(assembly: &Assembly, name: &dyn Fn(&str) -> String) -> String {
    let mut s = String::new();
    say!(s, "{}  (assembly)", line(&assembly.title));
    let details = [
        (
            "When:",
            assembly
                .scheduled_at
                .as_deref()
                .map(|t| line(t).into_owned()),
        ),
        (
            "Where:",
            assembly.place.as_deref().map(|t| line(t).into_owned()),
        ),
        ("Facilitator:", assembly.facilitator.as_deref().map(name)),
        ("Note-taker:", assembly.note_taker.as_deref().map(name)),
    ];
    for (label, value) in details {
        if let Some(value) = value {
            say!(s, "{label:<13}{value}");
        }
    }
    if !assembly.attendance.is_empty() {
        let present: Vec<_> = assembly.attendance.iter().map(|m| name(m)).collect();
        say!(s, "Present:     {}", present.join(", "));
    }
    say!(s, "\nAgenda");
    if assembly.agenda.is_empty() {
        say!(s, "  (empty)");
    }
    for (n, item) in assembly.agenda.iter().enumerate() {
        let time = item
            .time_box_minutes
            .map(|m| format!(", {m} min"))
            .unwrap_or_default();
        say!(
            s,
            "  {}. {}  [{}{time}, {}]",
            n + 1,
            line(&item.title),
            short(&item.id),
            item.status
        );
    }
    say!(s, "\nProposals");
    if assembly.proposals.is_empty() {
        say!(s, "  (none)");
    }
    for p in &assembly.proposals {
        let t = &p.tally;
        say!(
            s,
            "  {}  {}  [{}: {}; agree {}, abstain {}, disagree {}, block {}]{}",
            short(&p.id),
            line(&p.title),
            p.rule,
            p.outcome,
            t.agree,
            t.abstain,
            t.disagree,
            t.block,
            if p.decided { " decided" } else { "" }
        );
        if !p.text.is_empty() {
            say!(s, "{}", block(&p.text, "      "));
        }
        for position in &p.positions {
            let reason = if position.reason.is_empty() {
                String::new()
            } else {
                format!(": {}", line(&position.reason))
            };
            say!(
                s,
                "      {} {}{reason}",
                name(&position.member),
                position.stance
            );
        }
    }
    if !assembly.decisions.is_empty() {
        say!(s, "\nDecisions");
        for d in &assembly.decisions {
            say!(s, "  {}  {}  {}", short(&d.id), line(&d.title), d.outcome);
        }
    }
    if !assembly.actions.is_empty() {
        say!(s, "\nActions");
        for a in &assembly.actions {
            let who = a
                .assignee
                .as_deref()
                .map(|m| format!(" @{}", name(m)))
                .unwrap_or_default();
            let card = if a.card.is_some() {
                " (on a board)"
            } else {
                ""
            };
            let done = if a.done { "x" } else { " " };
            say!(
                s,
                "  [{done}] {}  {}{who}{card}",
                short(&a.id),
                line(&a.text)
            );
        }
    }
    if !assembly.minutes.is_empty() {
        say!(s, "\nMinutes\n{}", block(&assembly.minutes, "  "));
    }
    s
}

fn render_resources(resources: &Resources, name: &dyn Fn(&str) -> String, today: &str) -> String {
    let mut s = String::new();
    say!(s, "{}  (resources)", line(&resources.title));
    let overdue = resources.overdue(today).len();
    if overdue > 0 {
        say!(s, "{overdue} overdue: see the items marked OVERDUE below");
    }
    say!(s, "\nItems");
    if resources.items.is_empty() {
        say!(s, "  (none)");
    }
    for item in &resources.items {
        let quantity = match (item.quantity, &item.unit) {
            (Some(q), Some(u)) => format!("{q} {} ", line(u)),
            (Some(q), None) => format!("{q} × "),
            _ => String::new(),
        };
        let mut extras = vec![item.status.to_string()];
        extras.extend(item.category.as_deref().map(|c| line(c).into_owned()));
        extras.extend(item.location.as_deref().map(|l| format!("at {}", line(l))));
        extras.extend(
            item.custodian
                .as_deref()
                .map(|c| format!("kept by {}", name(c))),
        );
        for loan in resources.open_loans(&item.id) {
            let overdue = if loan.is_overdue(today) {
                ", OVERDUE"
            } else {
                ""
            };
            extras.push(format!(
                "lent to {} until {}{overdue}",
                name(&loan.to),
                line(&loan.due)
            ));
        }
        say!(
            s,
            "  {}  {quantity}{}  ({})",
            short(&item.id),
            line(&item.name),
            extras.join(", ")
        );
    }
    let open: Vec<_> = resources
        .needs_offers
        .iter()
        .filter(|n| !n.resolved)
        .collect();
    if !open.is_empty() {
        say!(s, "\nNeeds and offers");
        for n in open {
            say!(
                s,
                "  {}  {}: {}  ({})",
                short(&n.id),
                n.kind,
                line(&n.text),
                name(&n.by)
            );
        }
    }
    s
}

fn render_index(index: &Index) -> String {
    let mut s = String::new();
    say!(s, "{}  (group index)", line(&index.group_name));
    for entry in &index.entries {
        say!(
            s,
            "  {}  {:<9}  {}",
            short(&entry.doc.to_string()),
            entry.kind,
            line(&entry.title)
        );
    }
    s
}

/// Whether `c` must not reach a terminal as it is: a control character (C0, DEL, C1), or
/// one that changes how the text around it is laid out (bidirectional overrides and
/// isolates, the line and paragraph separators).
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
                | '\u{2028}' | '\u{2029}'
        )
}

/// `text` with every unsafe character but those `keep` lets through written as an escape.
fn escaped(text: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(|c| is_unsafe(c) && !keep(c)) {
        return Cow::Borrowed(text);
    }
    let mut s = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            c if !is_unsafe(c) || keep(c) => s.push(c),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            '\t' => s.push_str("\\t"),
            c => s.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
        }
    }
    Cow::Owned(s)
}

/// Member text on one line: every control character, the newline too, shown as an escape.
pub(crate) fn line(text: &str) -> Cow<'_, str> {
    escaped(text, |_| false)
}

/// Member text meant to be several lines (minutes, a description): each line escaped as
/// [`line`] does and put behind `indent` and a margin, so that none can pass for the
/// structure around it. Ends without a newline.
pub(crate) fn block(text: &str, indent: &str) -> String {
    text.trim_end()
        .lines()
        .map(|l| format!("{indent}│ {}", line(l)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Everything printed for people, last: any control character but the newline escaped.
pub(crate) fn terminal(text: &str) -> Cow<'_, str> {
    escaped(text, |c| c == '\n')
}

/// The first 8 characters of an id: enough to type it back, short enough to read.
pub(crate) fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}
