//! Documents as text for people (`mutual doc show` without `--json`).

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
            .cloned()
            .unwrap_or_else(|| short(id).to_owned())
    };
    match &view.content {
        View::Board(board) => render_board(board, &name),
        View::Assembly(assembly) => render_assembly(assembly, &name),
        View::Resources(resources) => render_resources(resources, &name, today),
        View::Index(index) => render_index(index),
    }
}

fn render_board(board: &Board, name: &dyn Fn(&str) -> String) -> String {
    let mut s = String::new();
    say!(s, "{}  (board)", board.title);
    if board.columns.is_empty() {
        say!(
            s,
            "\nNo columns yet. Add one with `mutual board add-column DOC NAME`."
        );
    }
    for column in &board.columns {
        say!(s, "\n{}  [{}]", column.name, short(&column.id));
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
                extras.push(format!("due {due}"));
            }
            if !card.labels.is_empty() {
                extras.push(format!("#{}", card.labels.join(" #")));
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
            say!(s, "  {}  {}{extras}", short(&card.id), card.title);
            if let Some(first) = card.description.lines().find(|l| !l.trim().is_empty()) {
                say!(s, "            {}", first.trim());
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
    say!(s, "{}  (assembly)", assembly.title);
    let details = [
        ("When:", assembly.scheduled_at.clone()),
        ("Where:", assembly.place.clone()),
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
            item.title,
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
            p.title,
            p.rule,
            p.outcome,
            t.agree,
            t.abstain,
            t.disagree,
            t.block,
            if p.decided { " decided" } else { "" }
        );
        if !p.text.is_empty() {
            say!(s, "      {}", p.text);
        }
        for position in &p.positions {
            let reason = if position.reason.is_empty() {
                String::new()
            } else {
                format!(": {}", position.reason)
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
            say!(s, "  {}  {}", d.title, d.outcome);
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
            say!(s, "  [{done}] {}  {}{who}{card}", short(&a.id), a.text);
        }
    }
    if !assembly.minutes.is_empty() {
        say!(s, "\nMinutes\n{}", assembly.minutes);
    }
    s
}

fn render_resources(resources: &Resources, name: &dyn Fn(&str) -> String, today: &str) -> String {
    let mut s = String::new();
    say!(s, "{}  (resources)", resources.title);
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
            (Some(q), Some(u)) => format!("{q} {u} "),
            (Some(q), None) => format!("{q} × "),
            _ => String::new(),
        };
        let mut extras = vec![item.status.to_string()];
        extras.extend(item.category.clone());
        extras.extend(item.location.as_ref().map(|l| format!("at {l}")));
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
                loan.due
            ));
        }
        say!(
            s,
            "  {}  {quantity}{}  ({})",
            short(&item.id),
            item.name,
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
                n.text,
                name(&n.by)
            );
        }
    }
    s
}

fn render_index(index: &Index) -> String {
    let mut s = String::new();
    say!(s, "{}  (group index)", index.group_name);
    for entry in &index.entries {
        say!(
            s,
            "  {}  {:<9}  {}",
            short(&entry.doc.to_string()),
            entry.kind,
            entry.title
        );
    }
    s
}

/// The first 8 characters of an id: enough to type it back, short enough to read.
pub(crate) fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}
