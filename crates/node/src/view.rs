//! Read models returned by [`crate::Node`]: plain data, serializable for `--json` and the UI.

use serde::{Deserialize, Serialize};

/// Who this device is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct WhoAmI {
    /// The person's display name.
    pub name: String,
    /// The person's member id.
    pub member_id: String,
    /// This device's libp2p `PeerId`.
    pub peer_id: String,
}

/// A group in a list of groups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct GroupSummary {
    /// The group's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// This person's role in it, if still a member.
    pub role: Option<String>,
    /// How many members it has.
    pub members: usize,
    /// How many documents it has (not archived).
    pub docs: usize,
    /// How this device stopped being a member, if it did (the group stays readable).
    pub ended: Option<EndedView>,
}

/// How this device stopped being a member of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct EndedView {
    /// `left`, `removed`, `unlinked`, or `admitted_by_former` (its admission never took
    /// effect: the device that admitted it was no longer a member).
    pub how: String,
    /// Who did it (a member's name), or who admitted it, for `admitted_by_former`.
    pub by: Option<String>,
    /// When, as the op that ended it claims (unix ms).
    pub at: i64,
    /// The same, in one sentence.
    pub message: String,
}

/// A group in full: members and documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct GroupView {
    /// The group's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its current members, by name.
    pub members: Vec<MemberView>,
    /// Who may create invites: `members` or `admins`.
    pub invite_policy: String,
    /// Members' votes for an admin.
    pub election: ElectionView,
    /// Its documents, archived ones included.
    pub docs: Vec<DocSummary>,
    /// How this device stopped being a member, if it did (the group stays readable).
    pub ended: Option<EndedView>,
}

/// A member of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct MemberView {
    /// The member's id.
    pub id: String,
    /// Their display name.
    pub name: String,
    /// `admin` or `member`.
    pub role: String,
    /// Their devices' peer ids.
    pub devices: Vec<String>,
    /// Whether this is the person using this device.
    pub is_me: bool,
    /// Whether they vote when members name an admin (the founder, members an admin
    /// admitted or invited, and admins).
    pub elector: bool,
}

/// A count as the views carry it (`u32`, which TypeScript's number holds exactly).
pub(crate) fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Members' votes for an admin: how members recover one when every admin's laptop is lost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ElectionView {
    /// The members voted for, with who voted for each, most votes first.
    pub candidates: Vec<CandidateView>,
    /// How many members vote.
    pub electors: u32,
    /// How many votes make a member an admin: more than half of the electors.
    pub majority: u32,
    /// The member this person voted for, if any (their id).
    pub my_vote: Option<String>,
}

/// A member voted for as an admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CandidateView {
    /// Their member id.
    pub id: String,
    /// Their name.
    pub name: String,
    /// The names of those who voted for them.
    pub voters: Vec<String>,
}

/// A vote for an admin, cast.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Voted {
    /// The name of the member voted for.
    pub name: String,
    /// The votes for them now.
    pub votes: u32,
    /// How many make an admin.
    pub majority: u32,
    /// Whether they are an admin now.
    pub elected: bool,
}

/// A document in a group's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct DocSummary {
    /// The document's id.
    pub id: String,
    /// `assembly`, `board` or `resources`.
    pub kind: String,
    /// Its title.
    pub title: String,
    /// Whether it has been archived.
    pub archived: bool,
}

/// A whole document.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct DocView {
    /// The document's id.
    pub id: String,
    /// The group it belongs to.
    pub group: String,
    /// The version shown: its Automerge heads, as hex change hashes. An edit of its text
    /// made on this version (`--based-on`) merges with whatever arrived since.
    pub heads: Vec<String>,
    /// Its contents, typed by kind.
    #[serde(flatten)]
    pub content: mutual_docs::View,
}

/// One change in a document's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct HistoryEntry {
    /// The Automerge change hash.
    pub change: String,
    /// When it was made (unix seconds, as claimed by its author's clock).
    pub time: i64,
    /// The member who made it, if their device is known to the group.
    pub member_id: Option<String>,
    /// Their name, or a description of the unknown device.
    pub member: String,
    /// The device (peer id) that made it, if its actor is a device key.
    pub device: Option<String>,
    /// What was done, in words.
    pub message: String,
}

/// An invite of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct InviteView {
    /// Its id (public key).
    pub id: String,
    /// The role it grants.
    pub role: String,
    /// Who created it.
    pub created_by: String,
    /// Unix ms from which it is refused.
    pub expires_at: i64,
    /// Uses so far.
    pub uses: u32,
    /// Uses allowed.
    pub max_uses: u32,
    /// Whether it links a device of its creator (rather than admitting a person).
    pub link: bool,
    /// `active`, `expired`, `used up` or `revoked`.
    pub status: String,
}

/// One of this person's devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct DeviceView {
    /// Its peer id.
    pub peer_id: String,
    /// Whether it is the device in use.
    pub this_device: bool,
    /// The groups it is linked in.
    pub groups: Vec<String>,
}

/// One change in a group's activity: which document, and the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ActivityEntry {
    /// The document's id.
    pub doc: String,
    /// Its title.
    pub title: String,
    /// The change.
    #[serde(flatten)]
    pub entry: HistoryEntry,
}

/// This device added to a group it does not hold, by someone it did not ask: waiting for
/// its owner to accept or ignore it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct AdditionView {
    /// The group's id.
    pub group: String,
    /// The group's name, as its founder gave it.
    pub name: String,
    /// The name of who added this device, as the group's log has it.
    pub added_by: String,
    /// The peer id of the device that added it.
    pub added_by_device: String,
    /// When, as the addition claims (unix ms).
    pub added_at: i64,
}
