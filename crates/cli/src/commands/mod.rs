//! One function per command, grouped by feature; each does one thing with the node and
//! prints the result. The network commands (`serve`, `status`, `peers`, `dial`) are in
//! `net.rs`: they talk to the running node rather than to the store.

mod assembly;
mod board;
mod membership;
pub(crate) mod net;
mod resource;

use anyhow::Context;
use mutual_docs::{Applied, DocOp, Kind};
use mutual_node::view::{DocSummary, GroupSummary, GroupView, HistoryEntry, Voted, WhoAmI};
use mutual_node::{Command as Ask, Reply};

use crate::args::{Command, DebugCommand, DocCommand, DocKind, GroupCommand, InviteWho, TextArg};
use crate::output::{self, Output};
use crate::render::{self, line, short};
use crate::target::Target;

/// Runs one command on the node: this process's, or the one that holds the data directory.
pub(crate) fn run(target: &mut Target, command: Command, out: &Output) -> anyhow::Result<()> {
    match command {
        Command::Init { name } => {
            let me = whoami(target.execute(Ask::Init { name })?)?;
            out.show(&me, print_whoami)
        }
        Command::Whoami => out.show(&whoami(target.execute(Ask::Whoami)?)?, print_whoami),
        Command::Group(command) => group(target, command, out),
        Command::Doc(command) => doc(target, command, out),
        Command::History { doc } => match target.execute(Ask::History { doc })? {
            Reply::History { entries } => out.show(&entries, |entries| print_history(entries)),
            other => unexpected(other),
        },
        Command::Board(command) => board::run(target, command, out),
        Command::Assembly(command) => assembly::run(target, command, out),
        Command::Resource(command) => resource::run(target, command, out),
        Command::Debug(command) => debug(target, command, out),
        Command::Invite(command) => membership::invite(target, command, out),
        Command::SetName { name } => match target.execute(Ask::SetName { name: name.clone() })? {
            Reply::Renamed { groups } => out.done(format!(
                "You are now {} on this device and in {}.",
                name.trim(),
                count(groups, "group")
            )),
            other => unexpected(other),
        },
        Command::Backup {
            file,
            passphrase_file,
        } => {
            let file = output::absolute(&file)?;
            let passphrase = crate::passphrase::read(passphrase_file.as_deref(), true)?;
            target.execute(Ask::Backup {
                file: file.clone(),
                passphrase,
            })?;
            out.done(format!(
                "Wrote a backup to {}, encrypted with your passphrase: keep both safe, apart.",
                file.display()
            ))
        }
        Command::Device(command) => membership::device(target, command, out),
        // `main` runs these itself: they are not commands a node runs.
        Command::Serve(_)
        | Command::Status
        | Command::Peers
        | Command::Dial { .. }
        | Command::Join(_)
        | Command::Restore { .. } => {
            anyhow::bail!("this command is answered by `mutual` itself, not by a node")
        }
    }
}

fn group(target: &mut Target, command: GroupCommand, out: &Output) -> anyhow::Result<()> {
    match command {
        GroupCommand::Create { name } => {
            out.created(&created(target.execute(Ask::CreateGroup { name })?)?)
        }
        GroupCommand::List => match target.execute(Ask::Groups)? {
            Reply::Groups { groups } => out.show(&groups, |groups| print_groups(groups)),
            other => unexpected(other),
        },
        GroupCommand::Show { group } => match target.execute(Ask::Group { group })? {
            Reply::Group(view) => out.show(&view, print_group),
            other => unexpected(other),
        },
        GroupCommand::Pending => match target.execute(Ask::PendingAdditions)? {
            Reply::Additions { additions } => out.show(&additions, |additions| {
                membership::print_additions(additions)
            }),
            other => unexpected(other),
        },
        GroupCommand::Accept { group } => match target.execute(Ask::AcceptAddition { group })? {
            Reply::Addition { addition } => {
                let what = if addition.name.is_empty() {
                    format!("group {}", short(&addition.group))
                } else {
                    format!("“{}”", line(&addition.name))
                };
                out.done(format!(
                    "Accepted: {what} arrives from a member who offers it, now or when one is next reached."
                ))
            }
            other => unexpected(other),
        },
        GroupCommand::Ignore { group } => match target.execute(Ask::IgnoreAddition { group })? {
            Reply::Addition { addition } => out.done(format!(
                "Ignored: nothing of “{}” is fetched. `mutual group accept {}` still joins it.",
                line(&addition.name),
                short(&addition.group)
            )),
            other => unexpected(other),
        },
        GroupCommand::AddMember {
            group,
            device,
            role,
            name,
        } => {
            let tail = device
                .trim()
                .get(device.trim().len().saturating_sub(6)..)
                .unwrap_or("");
            let name = name.unwrap_or_else(|| format!("new member …{tail}"));
            // Prints the new member's id, like every command that creates something; the
            // device receives the group when it next reaches a member, once its owner
            // accepted the addition there.
            let ask = Ask::AddDevice {
                group,
                peer_id: device,
                role: membership::role(role),
                name,
            };
            out.created(&created(target.execute(ask)?)?)
        }
        GroupCommand::RemoveMember { group, member } => {
            match target.execute(Ask::RemoveMember { group, member })? {
                Reply::Removed { name } => out.done(format!("Removed {name} from the group.")),
                other => unexpected(other),
            }
        }
        GroupCommand::SetRole {
            group,
            member,
            role,
        } => {
            let role = membership::role(role);
            target.execute(Ask::SetRole {
                group,
                member: member.clone(),
                role,
            })?;
            out.done(format!("{} is now {role}.", member.trim()))
        }
        GroupCommand::VoteAdmin { group, member } => {
            match target.execute(Ask::VoteAdmin { group, member })? {
                Reply::Voted(voted) => out.show(&voted, print_voted),
                other => unexpected(other),
            }
        }
        GroupCommand::Leave { group } => {
            target.execute(Ask::Leave { group })?;
            out.done("You left the group. What is here stays readable; nothing more arrives.")
        }
        GroupCommand::InvitePolicy { group, who } => {
            let policy = match who {
                InviteWho::Members => mutual_auth::InvitePolicy::Members,
                InviteWho::Admins => mutual_auth::InvitePolicy::Admins,
            };
            target.execute(Ask::InvitePolicy { group, policy })?;
            out.done(format!("From now on, {policy} may invite."))
        }
        GroupCommand::Export { group, to } => {
            let to = output::absolute(&to)?;
            match target.execute(Ask::ExportGroup { group, to })? {
                Reply::Files { files } => {
                    let written: Vec<String> =
                        files.iter().map(|p| p.display().to_string()).collect();
                    out.show(&written, |files| {
                        let mut s = String::new();
                        for file in files {
                            say!(s, "{file}");
                        }
                        s
                    })
                }
                other => unexpected(other),
            }
        }
        GroupCommand::Rename { group, name } => {
            target.execute(Ask::RenameGroup {
                group,
                name: name.clone(),
            })?;
            out.done(format!("Renamed the group to “{}”.", name.trim()))
        }
    }
}

fn doc(target: &mut Target, command: DocCommand, out: &Output) -> anyhow::Result<()> {
    match command {
        DocCommand::Create { group, kind, title } => {
            let kind = match kind {
                DocKind::Assembly => Kind::Assembly,
                DocKind::Board => Kind::Board,
                DocKind::Resources => Kind::Resources,
            };
            out.created(&created(target.execute(Ask::CreateDoc {
                group,
                kind,
                title,
            })?)?)
        }
        DocCommand::List { group, all } => match target.execute(Ask::Docs { group, all })? {
            Reply::Docs { docs } => out.show(&docs, |docs| print_docs(docs)),
            other => unexpected(other),
        },
        DocCommand::Show { doc } => match target.execute(Ask::Doc { doc })? {
            Reply::Doc { view, names } => {
                let today = jiff::Zoned::now().date().to_string();
                out.show(&view, |view| render::doc(view, &names, &today))
            }
            other => unexpected(other),
        },
        DocCommand::Rename { doc, title } => {
            target.execute(Ask::RenameDoc {
                doc,
                title: title.clone(),
            })?;
            out.done(format!("Renamed the document to “{}”.", title.trim()))
        }
        DocCommand::Restore {
            doc,
            versions,
            item,
        } => {
            let what = if item.is_some() {
                "The item"
            } else {
                "The document"
            };
            target.execute(Ask::RestoreDoc {
                doc,
                versions,
                item,
            })?;
            out.done(format!(
                "{what} is as it was at that version again; its history keeps everything since."
            ))
        }
        DocCommand::Archive { doc } => {
            target.execute(Ask::ArchiveDoc {
                doc,
                archived: true,
            })?;
            out.done("Archived.")
        }
        DocCommand::Unarchive { doc } => {
            target.execute(Ask::ArchiveDoc {
                doc,
                archived: false,
            })?;
            out.done("Unarchived.")
        }
    }
}

fn debug(target: &mut Target, command: DebugCommand, out: &Output) -> anyhow::Result<()> {
    match command {
        DebugCommand::AddCards { doc, column, count } => {
            board::add_cards(target, out, &doc, &column, count)
        }
        DebugCommand::Integrity => match target.execute(Ask::Integrity)? {
            Reply::Integrity { ok: true } => out.done("ok"),
            Reply::Integrity { ok: false } => {
                anyhow::bail!("the database failed SQLite's integrity check")
            }
            other => unexpected(other),
        },
    }
}

/// One typed change to the document named by `doc` (an id prefix), confirmed with `done`.
pub(crate) fn change(
    target: &mut Target,
    out: &Output,
    doc: String,
    op: DocOp,
    done: &str,
) -> anyhow::Result<()> {
    applied(target, doc, op)?;
    out.done(done)
}

/// One typed change that creates something in the document named by `doc`; prints its id.
pub(crate) fn create(
    target: &mut Target,
    out: &Output,
    doc: String,
    op: DocOp,
) -> anyhow::Result<()> {
    match applied(target, doc, op)? {
        Applied::Created(id) => out.created(&id),
        other => anyhow::bail!("the node created nothing: {other:?}"),
    }
}

/// Applies one typed change; returns what it produced.
pub(crate) fn applied(target: &mut Target, doc: String, op: DocOp) -> anyhow::Result<Applied> {
    match target.execute(Ask::Edit { doc, op })? {
        Reply::Applied { applied } => Ok(applied),
        other => unexpected(other),
    }
}

/// The text of a `--text` / `--file` argument, read here (where the person's files are).
pub(crate) fn read_text(arg: TextArg) -> anyhow::Result<String> {
    match (arg.text, arg.file) {
        (Some(text), _) => Ok(text),
        (None, Some(path)) if path.as_os_str() == "-" => output::read_stdin(),
        (None, Some(path)) => std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read the text from {}", path.display())),
        (None, None) => anyhow::bail!("give the text with --text or --file"),
    }
}

/// The versions `--based-on` names (comma-separated change hashes), as a document
/// operation carries them.
pub(crate) fn based_on(arg: Option<String>) -> Option<Vec<String>> {
    arg.map(|heads| {
        heads
            .split(',')
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .map(str::to_owned)
            .collect()
    })
}

fn whoami(reply: Reply) -> anyhow::Result<WhoAmI> {
    match reply {
        Reply::WhoAmI(me) => Ok(me),
        other => unexpected(other),
    }
}

pub(crate) fn created(reply: Reply) -> anyhow::Result<String> {
    match reply {
        Reply::Created { id } => Ok(id),
        other => unexpected(other),
    }
}

pub(crate) fn unexpected<T>(reply: Reply) -> anyhow::Result<T> {
    anyhow::bail!("the node answered something unexpected: {reply:?}")
}

fn print_whoami(me: &WhoAmI) -> String {
    let mut s = String::new();
    say!(s, "name:      {}", line(&me.name));
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
        let role = match (&g.role, &g.ended) {
            (Some(role), _) => role.as_str(),
            // "left", "removed" or "unlinked"; an admission that never took effect is none.
            (None, Some(ended)) if ended.how != "admitted_by_former" => ended.how.as_str(),
            _ => "not a member",
        };
        say!(
            s,
            "{}  {}  ({role}, {}, {})",
            short(&g.id),
            line(&g.name),
            count(g.members, "member"),
            count(g.docs, "document")
        );
    }
    s
}

/// "1 member", "3 members".
pub(crate) fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn print_group(group: &GroupView) -> String {
    let mut s = String::new();
    say!(s, "{}", line(&group.name));
    if let Some(ended) = &group.ended {
        say!(
            s,
            "{} ({})",
            line(&ended.message),
            format_time(ended.at / 1000)
        );
    }
    say!(s, "id: {}", group.id);
    say!(s, "invites by: {}", group.invite_policy);
    say!(s, "\nMembers:");
    for m in &group.members {
        let me = if m.is_me { " (you)" } else { "" };
        say!(s, "  {}  {}{me}  {}", short(&m.id), line(&m.name), m.role);
    }
    let election = &group.election;
    if !election.candidates.is_empty() {
        say!(
            s,
            "\nVotes for an admin ({} of {} electors make one):",
            election.majority,
            election.electors
        );
        for c in &election.candidates {
            let voters: Vec<String> = c.voters.iter().map(|v| line(v).into_owned()).collect();
            say!(
                s,
                "  {}  {} of {}  ({})",
                line(&c.name),
                c.voters.len(),
                election.majority,
                voters.join(", ")
            );
        }
    }
    say!(s, "\nDocuments:");
    if group.docs.is_empty() {
        say!(s, "  none yet");
    }
    s.push_str(&print_docs(&group.docs));
    s
}

fn print_voted(voted: &Voted) -> String {
    if voted.elected {
        format!("{} is now an admin.\n", line(&voted.name))
    } else {
        format!(
            "Your vote for {} is in: {} of the {} votes that make an admin.\n",
            line(&voted.name),
            voted.votes,
            voted.majority
        )
    }
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
            line(&d.title)
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
            line(&e.member),
            line(&e.message)
        );
    }
    s
}

/// Seconds since the epoch as "YYYY-MM-DD HH:MM" in UTC.
pub(crate) fn format_time(secs: i64) -> String {
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
