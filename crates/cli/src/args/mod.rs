//! The command line, declared with clap. Values are checked as they are parsed
//! ([`value`]), so that a wrong one is a usage error (exit code 2).

mod value;

pub(crate) use value::is_past;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Mutual: a collective's assemblies, boards and resources, kept on members' own devices.
#[derive(Debug, Parser)]
#[command(name = "mutual", version, about, max_term_width = 100)]
pub(crate) struct Cli {
    /// The data directory [default: the platform's data directory]
    #[arg(long, global = true, env = "MUTUAL_DIR", value_name = "DIR")]
    pub(crate) data_dir: Option<PathBuf>,
    /// Print one JSON document on stdout
    #[arg(long, global = true)]
    pub(crate) json: bool,
    /// How long to wait while another command uses the data directory, in seconds
    #[arg(
        long,
        global = true,
        value_name = "SECONDS",
        default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(0..=3600)
    )]
    pub(crate) wait: u64,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create this device's identity (refuses to overwrite one)
    Init {
        /// Your name, as the group will see it
        #[arg(long, value_parser = value::text)]
        name: String,
    },
    /// Show your name, member id and this device's peer id
    Whoami,
    /// Create, list and show groups
    #[command(subcommand)]
    Group(GroupCommand),
    /// Create, list, show, rename and archive documents
    #[command(subcommand)]
    Doc(DocCommand),
    /// Who changed what in a document, and when
    History {
        /// The document (any unique prefix of its id)
        doc: String,
    },
    /// Edit a board: columns and cards
    #[command(subcommand)]
    Board(BoardCommand),
    /// Run an assembly: agenda, proposals, positions, decisions, minutes
    #[command(subcommand)]
    Assembly(AssemblyCommand),
    /// Keep a resources list: items, lending, needs and offers
    #[command(subcommand)]
    Resource(ResourceCommand),
    /// Run as a peer until stopped: sync with the other members' devices
    Serve(ServeArgs),
    /// Invite people to a group: codes to read aloud, paste or scan
    #[command(subcommand)]
    Invite(InviteCommand),
    /// Join a group from an invite code, or link this device with a link code; waits until
    /// the group is synced
    Join(JoinArgs),
    /// Your devices: link another laptop, list them, unlink a lost one
    #[command(subcommand)]
    Device(DeviceCommand),
    /// Change your name, on this device and in every group you are in
    SetName {
        /// The name members will see
        #[arg(value_parser = value::text)]
        name: String,
    },
    /// Write a backup of everything on this device (keys, groups, documents) to a new file,
    /// encrypted with a passphrase (asked for twice at the terminal)
    Backup {
        /// The file to create
        file: std::path::PathBuf,
        /// Read the passphrase from the first line of this file instead of asking
        #[arg(long, value_name = "PATH")]
        passphrase_file: Option<std::path::PathBuf>,
    },
    /// Make this (empty) data directory from a backup file, to replace a lost or broken
    /// device; never to copy one that still runs. Asks for the backup's passphrase
    Restore {
        /// The backup file
        file: std::path::PathBuf,
        /// Read the passphrase from the first line of this file instead of asking
        #[arg(long, value_name = "PATH")]
        passphrase_file: Option<std::path::PathBuf>,
    },
    /// This device's addresses, connected peers, and per group who is in sync
    Status,
    /// Known member devices: their addresses and when they were last seen
    Peers,
    /// Connect to a peer now (needs `mutual serve` running)
    Dial {
        /// The peer's multiaddr, e.g. /ip4/192.168.1.20/tcp/4001/p2p/12D3KooW…
        address: String,
    },
    /// Tools for tests and benchmarks
    #[command(subcommand, hide = true)]
    Debug(DebugCommand),
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Listen on this multiaddr (repeatable) [default: every interface, a free TCP and a
    /// free QUIC port]
    #[arg(long, value_name = "MULTIADDR")]
    pub(crate) listen: Vec<String>,
    /// Do not discover peers on the local network by mDNS
    #[arg(long)]
    pub(crate) no_mdns: bool,
    /// Listen through this relay too (repeatable), so that members on other networks can
    /// reach this device: a reachable member's address ending in its /p2p/ID
    #[arg(long, value_name = "MULTIADDR")]
    pub(crate) relay: Vec<String>,
    /// Do not relay for other members
    #[arg(long)]
    pub(crate) no_relay_server: bool,
    /// Relay for any peer, not only the devices of this device's groups: for a relay host
    /// that holds no group and serves a collective's members
    #[arg(long, conflicts_with = "no_relay_server")]
    pub(crate) relay_for_anyone: bool,
    /// Print events as JSON objects, one per line, on stdout
    #[arg(long)]
    pub(crate) json_events: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum InviteCommand {
    /// Create an invite; prints its full code (and, with --json, {id, code, meetup_code})
    Create {
        group: String,
        /// The role it grants (only admins invite admins)
        #[arg(long, value_enum, default_value = "member")]
        role: MemberRole,
        /// How many people may join with it, from 1 to 1000
        #[arg(
            long,
            default_value_t = 1,
            value_parser = clap::value_parser!(u32)
                .range(1..=i64::from(mutual_node::MAX_INVITE_USES))
        )]
        uses: u32,
        /// How long it is valid, from 1s to 365d: a number and a unit, s, m, h, d or w (30m,
        /// 12h, 7d, 2w)
        #[arg(long, default_value = "7d", value_parser = value::invite_valid_for)]
        expires: Duration,
        /// Also print the code as a QR code for a phone or laptop camera
        #[arg(long)]
        qr: bool,
    },
    /// List a group's invites, with their uses and state
    List { group: String },
    /// Revoke an invite (its creator or an admin)
    Revoke {
        group: String,
        /// The invite's id (any unique prefix)
        invite: String,
    },
}

#[derive(Debug, Args)]
pub(crate) struct JoinArgs {
    /// The code: a meetup code (on the same network as a member) or a full code. Leave it
    /// out to paste it when asked, or to pipe it in: a link code (from `mutual device link`)
    /// must be given that way, to keep it out of your shell's history
    pub(crate) code: Option<String>,
    /// The name the group will know you by [default: your name]
    #[arg(long, value_parser = value::text)]
    pub(crate) name: Option<String>,
    /// Give up after this long, from 1s to 24h: a number and a unit, s, m, h, d or w (30s,
    /// 2m)
    #[arg(long, default_value = "30s", value_parser = value::join_timeout)]
    pub(crate) timeout: Duration,
    /// Do not look for members on the local network by mDNS: only a full code's addresses
    /// are tried (a `mutual serve` running here keeps its own setting)
    #[arg(long)]
    pub(crate) no_mdns: bool,
    /// Join without being asked whether the group shown is the one you expect (for
    /// scripts; without a terminal, a join needs it)
    #[arg(long)]
    pub(crate) yes: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum DeviceCommand {
    /// Print a code to link another laptop to you (valid one hour); run `mutual join CODE`
    /// there, in a fresh data directory
    Link {
        /// Also print the code as a QR code
        #[arg(long)]
        qr: bool,
    },
    /// List your devices and the groups each is linked in
    List,
    /// Unlink one of your devices (a lost laptop): it gets nothing written after
    Unlink {
        /// The device's peer id (any unique prefix)
        device: String,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum GroupCommand {
    /// Create a group with you as its first admin; prints its id
    Create {
        /// The group's name
        #[arg(value_parser = value::text)]
        name: String,
    },
    /// List your groups
    List,
    /// Show a group: name, members with roles, documents
    Show {
        /// The group (any unique prefix of its id)
        group: String,
    },
    /// Rename a group
    Rename {
        group: String,
        #[arg(value_parser = value::text)]
        name: String,
    },
    /// Remove a member and all their devices (admins)
    RemoveMember {
        group: String,
        /// The member: name, id prefix
        member: String,
    },
    /// Change a member's role (admins)
    SetRole {
        group: String,
        /// The member: name, id prefix or `me`
        member: String,
        #[arg(value_enum)]
        role: MemberRole,
    },
    /// Vote for a member as an admin: once more than half of the electors (the founder,
    /// members an admin admitted or invited, and admins) vote for one member, they are an
    /// admin. How members recover one when every admin's laptop is lost
    VoteAdmin {
        group: String,
        /// The member: name, id prefix or `me`
        member: String,
    },
    /// Leave a group: nothing more arrives; what is here stays readable
    Leave { group: String },
    /// Export a group into a directory: all of it as JSON, each assembly's minutes as Markdown
    Export {
        group: String,
        /// The directory to write into (created if needed)
        #[arg(long, value_name = "DIR")]
        to: std::path::PathBuf,
    },
    /// Who may create invites: every member (the default) or admins only (admins)
    InvitePolicy {
        group: String,
        #[arg(value_enum)]
        who: InviteWho,
    },
    /// List the groups someone added this device to without your say: each waits until you
    /// accept or ignore it
    Pending,
    /// Accept being added to a group (`mutual group pending` lists them): it arrives from
    /// the member who offered it
    Accept {
        /// The group: its name or any unique prefix of its id
        group: String,
    },
    /// Ignore being added to a group: it is listed no more and nothing of it is fetched
    Ignore {
        /// The group: its name or any unique prefix of its id
        group: String,
    },
    /// Admit a device you know by its peer id (from its `mutual whoami`); admins only. Its
    /// owner accepts the addition on that device (`mutual group accept`)
    AddMember {
        group: String,
        /// The device's peer id
        #[arg(long, value_name = "PEER_ID")]
        device: String,
        #[arg(long, value_enum, default_value = "member")]
        role: MemberRole,
        /// The name the group will see [default: "new member" and the peer id's end]
        #[arg(long, value_parser = value::text)]
        name: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum InviteWho {
    Members,
    Admins,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum MemberRole {
    Member,
    Admin,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum DocKind {
    Assembly,
    Board,
    Resources,
}

#[derive(Debug, Subcommand)]
pub(crate) enum DocCommand {
    /// Create a document in a group; prints its id
    Create {
        /// The group
        group: String,
        /// What kind of document
        #[arg(long)]
        kind: DocKind,
        /// Its title
        #[arg(long, value_parser = value::text)]
        title: String,
    },
    /// List a group's documents
    List {
        group: String,
        /// Include archived documents
        #[arg(long)]
        all: bool,
    },
    /// Show a whole document
    Show { doc: String },
    /// Rename a document
    Rename {
        doc: String,
        #[arg(value_parser = value::text)]
        title: String,
    },
    /// Archive a document (it stays readable and can be unarchived)
    Archive { doc: String },
    /// Bring an archived document back
    Unarchive { doc: String },
    /// Make a document, or one item of it, as it was right after a change of its history
    /// (`mutual history DOC`): what a member wiped comes back, and the history keeps all
    Restore {
        doc: String,
        /// The change (its hash, or a unique prefix); repeat it for a version with several
        /// heads
        #[arg(long = "to", value_name = "CHANGE", required = true)]
        versions: Vec<String>,
        /// Only this item (a card, an agenda item, a resource...), by its id
        #[arg(long, value_name = "ID")]
        item: Option<String>,
    },
}

/// Text given inline or read from a file (`-` for standard input).
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub(crate) struct TextArg {
    /// The text
    #[arg(long)]
    pub(crate) text: Option<String>,
    /// Read the text from this file (`-` for standard input)
    #[arg(long, value_name = "PATH")]
    pub(crate) file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum BoardCommand {
    /// Add a column; prints its id
    AddColumn {
        doc: String,
        #[arg(value_parser = value::text)]
        name: String,
    },
    /// Rename a column
    RenameColumn {
        doc: String,
        column: String,
        #[arg(value_parser = value::text)]
        name: String,
    },
    /// Move a column to a position (counted from 1)
    MoveColumn {
        doc: String,
        column: String,
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        position: u32,
    },
    /// Add a card to a column; prints its id
    AddCard {
        doc: String,
        #[arg(long)]
        column: String,
        #[arg(long, value_parser = value::text)]
        title: String,
    },
    /// Move a card to a column (at the end, or at a position counted from 1)
    MoveCard {
        doc: String,
        card: String,
        #[arg(long)]
        column: String,
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        position: Option<u32>,
    },
    /// Change a card's title
    RenameCard {
        doc: String,
        card: String,
        #[arg(value_parser = value::text)]
        title: String,
    },
    /// Replace a card's description (concurrent edits by others are kept)
    Describe {
        doc: String,
        card: String,
        #[command(flatten)]
        text: TextArg,
        /// The version the text was written on: the `heads` of `doc show --json`
        /// (comma-separated). What others wrote since is kept, merged character by character.
        #[arg(long, value_name = "HASH[,HASH...]")]
        based_on: Option<String>,
    },
    /// Assign a card to a member (name, id prefix, or `me`)
    Assign {
        doc: String,
        card: String,
        member: String,
    },
    /// Take a member off a card
    Unassign {
        doc: String,
        card: String,
        member: String,
    },
    /// Add a label to a card
    Label {
        doc: String,
        card: String,
        #[arg(value_parser = value::text)]
        label: String,
    },
    /// Remove a label from a card
    Unlabel {
        doc: String,
        card: String,
        label: String,
    },
    /// Set a card's due date (YYYY-MM-DD; a past date is recorded, with a warning), or clear
    /// it with `--clear`
    Due {
        doc: String,
        card: String,
        #[arg(required_unless_present = "clear", value_parser = value::card_due)]
        date: Option<String>,
        #[arg(long, conflicts_with = "date")]
        clear: bool,
    },
    /// Add a checklist item to a card; prints its id
    Check {
        doc: String,
        card: String,
        #[arg(value_parser = value::text)]
        text: String,
    },
    /// Mark a checklist item done (or not done with `--undo`)
    Tick {
        doc: String,
        card: String,
        item: String,
        #[arg(long)]
        undo: bool,
    },
    /// Comment on a card; prints the comment's id
    Comment {
        doc: String,
        card: String,
        #[arg(value_parser = value::text)]
        text: String,
    },
    /// Delete a card (it can be restored)
    DeleteCard { doc: String, card: String },
    /// Restore a deleted card
    RestoreCard { doc: String, card: String },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum Rule {
    Consent,
    Consensus,
    Majority,
    TwoThirds,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum Stance {
    Agree,
    Abstain,
    Disagree,
    Block,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum AgendaStatus {
    Pending,
    Current,
    Done,
}

#[derive(Debug, Subcommand)]
pub(crate) enum AssemblyCommand {
    /// Set when and where the assembly meets, and who facilitates and takes notes (at
    /// least one of them)
    #[command(group(clap::ArgGroup::new("what").required(true).multiple(true)))]
    Set {
        doc: String,
        /// When, e.g. "2026-12-01 18:30"
        #[arg(long, group = "what")]
        when: Option<String>,
        #[arg(long, group = "what")]
        place: Option<String>,
        /// A member (name, id prefix, or `me`)
        #[arg(long, group = "what")]
        facilitator: Option<String>,
        /// A member (name, id prefix, or `me`)
        #[arg(long, group = "what")]
        note_taker: Option<String>,
    },
    /// Mark a member present (or absent with `--absent`)
    Attend {
        doc: String,
        /// A member (name, id prefix, or `me`)
        #[arg(default_value = "me")]
        member: String,
        #[arg(long)]
        absent: bool,
    },
    /// Add an agenda item; prints its id
    AddAgenda {
        doc: String,
        #[arg(value_parser = value::text)]
        title: String,
        /// Its time box in minutes, from 1 to 1440
        #[arg(long, value_parser = value::time_box)]
        minutes: Option<u32>,
    },
    /// Move an agenda item to a position (counted from 1)
    MoveAgenda {
        doc: String,
        item: String,
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        position: u32,
    },
    /// Rename an agenda item
    RenameAgenda {
        doc: String,
        item: String,
        #[arg(value_parser = value::text)]
        title: String,
    },
    /// Set an agenda item's time box in minutes (1 to 1440), or clear it with `--clear`
    TimeBox {
        doc: String,
        item: String,
        #[arg(required_unless_present = "clear", value_parser = value::time_box)]
        minutes: Option<u32>,
        #[arg(long, conflicts_with = "minutes")]
        clear: bool,
    },
    /// Set an agenda item's status
    AgendaStatus {
        doc: String,
        item: String,
        status: AgendaStatus,
    },
    /// Replace an agenda item's notes (concurrent edits by others are kept)
    AgendaNotes {
        doc: String,
        item: String,
        #[command(flatten)]
        text: TextArg,
        /// The version the text was written on: the `heads` of `doc show --json`
        /// (comma-separated). What others wrote since is kept, merged character by character.
        #[arg(long, value_name = "HASH[,HASH...]")]
        based_on: Option<String>,
    },
    /// Delete an agenda item (it can be restored)
    DeleteAgenda { doc: String, item: String },
    /// Restore a deleted agenda item
    RestoreAgenda { doc: String, item: String },
    /// Put a proposal; prints its id
    Propose {
        doc: String,
        #[arg(long, value_parser = value::text)]
        title: String,
        #[arg(long)]
        rule: Rule,
        /// The proposal's text
        #[arg(long, default_value = "")]
        text: String,
    },
    /// Record your position on a proposal (changing it replaces your earlier one)
    Position {
        doc: String,
        proposal: String,
        stance: Stance,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Record the outcome of a proposal in the decision register; prints the decision's id
    Decide { doc: String, proposal: String },
    /// Replace the minutes (concurrent edits by others are kept)
    Minutes {
        doc: String,
        #[command(flatten)]
        text: TextArg,
        /// The version the text was written on: the `heads` of `doc show --json`
        /// (comma-separated). What others wrote since is kept, merged character by character.
        #[arg(long, value_name = "HASH[,HASH...]")]
        based_on: Option<String>,
    },
    /// Add an action item; prints its id
    AddAction {
        doc: String,
        #[arg(value_parser = value::text)]
        text: String,
        /// A member (name, id prefix, or `me`)
        #[arg(long)]
        assignee: Option<String>,
    },
    /// Mark an action item done (or not done with `--undo`)
    ActionDone {
        doc: String,
        action: String,
        #[arg(long)]
        undo: bool,
    },
    /// Turn an action item into a card on a board; prints the card's id
    ActionToCard {
        doc: String,
        action: String,
        /// The board document
        #[arg(long)]
        board: String,
        #[arg(long)]
        column: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum ItemStatus {
    Available,
    Lent,
    Needed,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ResourceCommand {
    /// Add an item; prints its id
    Add {
        doc: String,
        #[arg(value_parser = value::text)]
        name: String,
        #[arg(long)]
        quantity: Option<u32>,
        #[arg(long)]
        unit: Option<String>,
        #[arg(long)]
        category: Option<String>,
        #[arg(long)]
        location: Option<String>,
        /// Who keeps it (name, id prefix, or `me`)
        #[arg(long)]
        custodian: Option<String>,
        #[arg(long)]
        condition: Option<String>,
        #[arg(long)]
        status: Option<ItemStatus>,
    },
    /// Change an item's details (at least one; an empty value clears an optional one)
    #[command(group(clap::ArgGroup::new("what").required(true).multiple(true)))]
    Update {
        doc: String,
        item: String,
        #[arg(long, group = "what", value_parser = value::text)]
        name: Option<String>,
        #[arg(long, group = "what")]
        quantity: Option<u32>,
        #[arg(long, group = "what")]
        unit: Option<String>,
        #[arg(long, group = "what")]
        category: Option<String>,
        #[arg(long, group = "what")]
        location: Option<String>,
        #[arg(long, group = "what")]
        custodian: Option<String>,
        #[arg(long, group = "what")]
        condition: Option<String>,
        #[arg(long, group = "what")]
        status: Option<ItemStatus>,
        #[arg(long, group = "what")]
        notes: Option<String>,
        /// The version the notes were written on (see `board describe --based-on`)
        #[arg(long, value_name = "HASH[,HASH...]")]
        based_on: Option<String>,
    },
    /// Move an item to a position in the list (counted from 1)
    Move {
        doc: String,
        item: String,
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        position: u32,
    },
    /// Delete an item (it can be restored)
    Delete { doc: String, item: String },
    /// Restore a deleted item
    Restore { doc: String, item: String },
    /// Lend an item to a member until a date; prints the loan's id
    Lend {
        doc: String,
        item: String,
        /// The borrower (name, id prefix, or `me`)
        #[arg(long)]
        to: String,
        /// Due back on (YYYY-MM-DD; a past date is recorded, with a warning)
        #[arg(long, value_parser = value::date)]
        due: String,
    },
    /// Record that a lent item came back
    Return { doc: String, item: String },
    /// Post something the group needs; prints its id
    Need {
        doc: String,
        #[arg(value_parser = value::text)]
        text: String,
    },
    /// Post something you offer; prints its id
    Offer {
        doc: String,
        #[arg(value_parser = value::text)]
        text: String,
    },
    /// Mark a need or offer as resolved
    Resolve { doc: String, entry: String },
}

#[derive(Debug, Subcommand)]
pub(crate) enum DebugCommand {
    /// Add COUNT cards one edit at a time, printing each id once it is durable
    AddCards {
        doc: String,
        #[arg(long)]
        column: String,
        #[arg(long)]
        count: usize,
    },
    /// Check the database's integrity; prints "ok" or fails
    Integrity,
}
