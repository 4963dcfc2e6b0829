//! One function per command, grouped by feature; each does one thing with the node and
//! prints the result. The network commands (`serve`, `status`, `peers`, `dial`) are in
//! `net.rs`: they talk to the running node rather than to the store.

mod assembly;
mod board;
mod membership;
pub(crate) mod net;
mod resource;

use anyhow::Context;
use mutual_docs::{DocId, Document, Kind, Stamp};
use mutual_node::Node;
use mutual_node::view::{DocSummary, GroupSummary, GroupView, HistoryEntry, WhoAmI};

use crate::args::{Command, DebugCommand, DocCommand, DocKind, GroupCommand, InviteWho, TextArg};
use crate::output::Output;
use crate::render::{self, short};

/// Runs one command against an open node: in this process, or inside `mutual serve` on
/// behalf of another `mutual` process.
pub(crate) fn run(node: &mut Node, command: Command, out: &Output) -> anyhow::Result<()> {
    let node = &mut *node;
    match command {
        Command::Init { name } => {
            let me = node.init(&name)?;
            out.show(&me, print_whoami)
        }
        Command::Whoami => out.show(&node.whoami()?, print_whoami),
        Command::Group(command) => group(node, command, out),
        Command::Doc(command) => doc(node, command, out),
        Command::History { doc } => {
            let doc = node.resolve_doc(&doc)?;
            out.show(&node.history(&doc)?, |entries| print_history(entries))
        }
        Command::Board(command) => board::run(node, command, out),
        Command::Assembly(command) => assembly::run(node, command, out),
        Command::Resource(command) => resource::run(node, command, out),
        Command::Debug(command) => debug(node, command, out),
        Command::Invite(command) => membership::invite(node, command, out),
        Command::SetName { name } => {
            let groups = node.rename_me(&name)?;
            out.done(format!(
                "You are now {} on this device and in {}.",
                name.trim(),
                match groups.len() {
                    1 => "1 group".to_owned(),
                    n => format!("{n} groups"),
                }
            ))
        }
        Command::Backup { file } => {
            let file = out.path(&file);
            node.backup(&file)?;
            out.done(format!("Wrote a backup to {}.", file.display()))
        }
        Command::Restore { .. } => {
            anyhow::bail!("a running node holds this data directory: restore into a new one")
        }
        Command::Device(command) => membership::device(node, command, out),
        // The client sends these to the running node as their own requests.
        Command::Serve(_) => {
            anyhow::bail!("`mutual serve` is already running on this data directory")
        }
        Command::Status | Command::Peers | Command::Dial { .. } | Command::Join(_) => {
            anyhow::bail!("this command is answered by the running node, not run inside it")
        }
    }
}

fn group(node: &mut Node, command: GroupCommand, out: &Output) -> anyhow::Result<()> {
    match command {
        GroupCommand::Create { name } => out.created(&node.create_group(&name)?),
        GroupCommand::List => out.show(&node.groups()?, |groups| print_groups(groups)),
        GroupCommand::Show { group } => {
            let group = node.resolve_group(&group)?;
            out.show(&node.group(&group)?, print_group)
        }
        GroupCommand::AddMember {
            group,
            device,
            role,
            name,
        } => {
            let group = node.resolve_group(&group)?;
            let role = membership::role(role);
            let tail = device
                .trim()
                .get(device.trim().len().saturating_sub(6)..)
                .unwrap_or("");
            let name = name.unwrap_or_else(|| format!("new member …{tail}"));
            // Prints the new member's id, like every command that creates something; the
            // device receives the group when it next reaches a member.
            out.created(&node.add_device(&group, &device, role, &name)?)
        }
        GroupCommand::RemoveMember { group, member } => {
            let group = node.resolve_group(&group)?;
            let name = node.group(&group)?.members.into_iter().find(|m| {
                node.resolve_member(&group, &member)
                    .is_ok_and(|id| id.to_string() == m.id)
            });
            node.remove_member(&group, &member)?;
            let name = name.map_or_else(|| member.clone(), |m| m.name);
            out.done(format!("Removed {name} from the group."))
        }
        GroupCommand::SetRole {
            group,
            member,
            role,
        } => {
            let group = node.resolve_group(&group)?;
            let role = membership::role(role);
            node.set_role(&group, &member, role)?;
            out.done(format!("{} is now {role}.", member.trim()))
        }
        GroupCommand::Leave { group } => {
            let group = node.resolve_group(&group)?;
            node.leave(&group)?;
            out.done("You left the group. What is here stays readable; nothing more arrives.")
        }
        GroupCommand::InvitePolicy { group, who } => {
            let group = node.resolve_group(&group)?;
            let policy = match who {
                InviteWho::Members => mutual_auth::InvitePolicy::Members,
                InviteWho::Admins => mutual_auth::InvitePolicy::Admins,
            };
            node.set_invite_policy(&group, policy)?;
            out.done(format!("From now on, {policy} may invite."))
        }
        GroupCommand::Export { group, to } => {
            let group = node.resolve_group(&group)?;
            let written: Vec<String> = node
                .export_group_to(&group, &out.path(&to))?
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            out.show(&written, |files| {
                let mut s = String::new();
                for file in files {
                    say!(s, "{file}");
                }
                s
            })
        }
        GroupCommand::Rename { group, name } => {
            let group = node.resolve_group(&group)?;
            node.rename_group(&group, &name)?;
            out.done(format!("Renamed the group to “{}”.", name.trim()))
        }
    }
}

fn doc(node: &mut Node, command: DocCommand, out: &Output) -> anyhow::Result<()> {
    match command {
        DocCommand::Create { group, kind, title } => {
            let group = node.resolve_group(&group)?;
            let kind = match kind {
                DocKind::Assembly => Kind::Assembly,
                DocKind::Board => Kind::Board,
                DocKind::Resources => Kind::Resources,
            };
            out.created(&node.create_doc(&group, kind, &title)?)
        }
        DocCommand::List { group, all } => {
            let group = node.resolve_group(&group)?;
            let docs: Vec<DocSummary> = node
                .docs(&group)?
                .into_iter()
                .filter(|d| all || !d.archived)
                .collect();
            out.show(&docs, |docs| print_docs(docs))
        }
        DocCommand::Show { doc } => {
            let doc = node.resolve_doc(&doc)?;
            let view = node.doc(&doc)?;
            let group = node.group_of(&doc)?;
            let names = node.member_names(&group)?;
            let today = jiff::Zoned::now().date().to_string();
            out.show(&view, |view| render::doc(view, &names, &today))
        }
        DocCommand::Rename { doc, title } => {
            let doc = node.resolve_doc(&doc)?;
            node.rename_doc(&doc, &title)?;
            out.done(format!("Renamed the document to “{}”.", title.trim()))
        }
        DocCommand::Archive { doc } => {
            let doc = node.resolve_doc(&doc)?;
            node.archive_doc(&doc, true)?;
            out.done("Archived.")
        }
        DocCommand::Unarchive { doc } => {
            let doc = node.resolve_doc(&doc)?;
            node.archive_doc(&doc, false)?;
            out.done("Unarchived.")
        }
    }
}

fn debug(node: &mut Node, command: DebugCommand, out: &Output) -> anyhow::Result<()> {
    match command {
        DebugCommand::AddCards { doc, column, count } => {
            board::add_cards(node, out, &doc, &column, count)
        }
        DebugCommand::Integrity => {
            anyhow::ensure!(
                node.integrity_ok()?,
                "the database failed SQLite's integrity check"
            );
            out.done("ok")
        }
    }
}

/// One typed edit of the document named by `doc` (an id prefix), confirmed with `done`.
pub(crate) fn change(
    node: &mut Node,
    out: &Output,
    doc: &str,
    kind: Kind,
    done: &str,
    edit: impl FnOnce(&mut Document, &Stamp) -> Result<(), mutual_docs::Error>,
) -> anyhow::Result<()> {
    let doc = node.resolve_doc(doc)?;
    node.edit(&doc, kind, edit)?;
    out.done(done)
}

/// One typed edit that creates something in the document named by `doc`; prints its id.
pub(crate) fn create(
    node: &mut Node,
    out: &Output,
    doc: &str,
    kind: Kind,
    edit: impl FnOnce(&mut Document, &Stamp) -> Result<String, mutual_docs::Error>,
) -> anyhow::Result<()> {
    let doc = node.resolve_doc(doc)?;
    out.created(&node.edit(&doc, kind, edit)?)
}

/// A member named on the command line (name, id prefix or `me`), as a member id.
pub(crate) fn member(node: &mut Node, doc: &DocId, who: &str) -> anyhow::Result<String> {
    let group = node.group_of(doc)?;
    Ok(node.resolve_member(&group, who)?.to_string())
}

/// The same, where an empty argument means nobody (to clear a field).
pub(crate) fn member_or_nobody(
    node: &mut Node,
    doc: &DocId,
    who: &str,
) -> anyhow::Result<Option<String>> {
    if who.trim().is_empty() {
        return Ok(None);
    }
    member(node, doc, who).map(Some)
}

/// The text of a `--text` / `--file` argument.
pub(crate) fn read_text(out: &Output, arg: TextArg) -> anyhow::Result<String> {
    match (arg.text, arg.file) {
        (Some(text), _) => Ok(text),
        (None, Some(path)) if path.as_os_str() == "-" => out.read_stdin(),
        (None, Some(path)) => std::fs::read_to_string(out.path(&path))
            .with_context(|| format!("cannot read the text from {}", path.display())),
        (None, None) => anyhow::bail!("give the text with --text or --file"),
    }
}

fn print_whoami(me: &WhoAmI) -> String {
    let mut s = String::new();
    say!(s, "name:      {}", me.name);
    say!(s, "member id: {}", me.member_id);
    say!(s, "peer id:   {}", me.peer_id);
    s
}

fn print_groups(groups: &[GroupSummary]) -> String {
    let mut s = String::new();
    if groups.is_empty() {
        say!(
            s,
            "No groups yet. Create one with `mutual group create NAME`."
        );
    }
    for g in groups {
        let role = g.role.as_deref().unwrap_or("not a member");
        say!(
            s,
            "{}  {}  ({role}, {}, {})",
            short(&g.id),
            g.name,
            count(g.members, "member"),
            count(g.docs, "document")
        );
    }
    s
}

/// "1 member", "3 members".
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn print_group(group: &GroupView) -> String {
    let mut s = String::new();
    say!(s, "{}", group.name);
    say!(s, "id: {}", group.id);
    say!(s, "invites by: {}", group.invite_policy);
    say!(s, "\nMembers:");
    for m in &group.members {
        let me = if m.is_me { " (you)" } else { "" };
        say!(s, "  {}  {}{me}  {}", short(&m.id), m.name, m.role);
    }
    say!(s, "\nDocuments:");
    if group.docs.is_empty() {
        say!(s, "  none yet");
    }
    s.push_str(&print_docs(&group.docs));
    s
}

fn print_docs(docs: &[DocSummary]) -> String {
    let mut s = String::new();
    for d in docs {
        let archived = if d.archived { "  (archived)" } else { "" };
        say!(
            s,
            "  {}  {:<9}  {}{archived}",
            short(&d.id),
            d.kind,
            d.title
        );
    }
    s
}

fn print_history(entries: &[HistoryEntry]) -> String {
    let mut s = String::new();
    for e in entries {
        say!(
            s,
            "{}  {:<16}  {}",
            format_time(e.time),
            e.member,
            e.message
        );
    }
    s
}

/// Seconds since the epoch as "YYYY-MM-DD HH:MM" in UTC.
fn format_time(secs: i64) -> String {
    jiff::Timestamp::from_second(secs)
        .map(|t| t.strftime("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|_| format!("@{secs}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_format_as_utc_dates() {
        assert_eq!(format_time(0), "1970-01-01 00:00");
        assert_eq!(format_time(1_795_000_000), "2026-11-18 11:06");
        assert_eq!(format_time(951_782_400), "2000-02-29 00:00");
    }
}
