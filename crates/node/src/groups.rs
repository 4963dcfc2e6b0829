//! A device's groups: founding, listing, showing, renaming; admitting a device by its key;
//! finding members by name.

use std::collections::BTreeMap;

use mutual_auth::{Action, GroupId, Log, MemberId, Role};
use mutual_docs::{Document, Kind, Stamp, View};

use crate::node::{index_doc_id, names_of, non_empty, now_ms, parse_peer_id};
use crate::replicas::parse_group_id;
use crate::standing::ended_view;
use crate::view::{
    CandidateView, DocSummary, ElectionView, GroupSummary, GroupView, MemberView, count,
};
use crate::{Error, Node};

impl Node {
    /// Creates a group with this person as its founding admin; returns its id.
    pub fn create_group(&mut self, name: &str) -> Result<GroupId, Error> {
        let name = non_empty(name, "a group's name")?;
        let identity = self.identity()?;
        let now = now_ms();
        let (log, _) = Log::create(
            name,
            &identity.name,
            &identity.member,
            &identity.device,
            now.unsigned_abs(),
        );
        let group_id = log.group_id();
        let founder = Stamp {
            member: identity.member.id().to_string(),
            time: now / 1000,
        };
        let index = Document::create(Kind::Index, name, identity.actor(), &founder)?;
        let outputs = self
            .engine_mut()?
            .create_group(log, index_doc_id(&group_id), index.into_automerge())
            .map_err(Error::from_local)?;
        self.commit(Vec::new(), outputs)?;
        Ok(group_id)
    }

    /// Finds a group by any unique prefix of its id.
    pub fn resolve_group(&self, prefix: &str) -> Result<GroupId, Error> {
        let prefix = prefix.trim().to_ascii_lowercase();
        let matches = if prefix.is_empty() {
            Vec::new()
        } else {
            self.store.groups_with_prefix(&prefix)?
        };
        match matches.as_slice() {
            [] => Err(Error::UnknownGroup(prefix)),
            [one] => parse_group_id(one),
            many => Err(Error::Ambiguous {
                what: "group",
                prefix,
                count: many.len(),
            }),
        }
    }

    /// The ids of all groups of this device, oldest first.
    pub(crate) fn group_ids(&self) -> Result<Vec<GroupId>, Error> {
        self.store
            .groups()?
            .iter()
            .map(|record| parse_group_id(&record.group_id))
            .collect()
    }

    /// All groups of this device.
    pub fn groups(&mut self) -> Result<Vec<GroupSummary>, Error> {
        // By device, as `my_stamp` decides: an unlinked device holds no role.
        let device = self.identity()?.device.id();
        let mut groups = Vec::new();
        for group_id in self.group_ids()? {
            let index = self.index_view(&group_id)?;
            let name = index.group_name.clone();
            let docs = index.entries.iter().filter(|d| !d.archived).count();
            let log = self.log(&group_id)?;
            let state = log.state();
            groups.push(GroupSummary {
                id: group_id.to_string(),
                role: state.member_of_device(&device).map(|m| m.role.to_string()),
                members: state.members.len(),
                docs,
                ended: ended_view(log, &device, &name),
                name,
            });
        }
        Ok(groups)
    }

    /// A group with its members and documents.
    pub fn group(&mut self, group_id: &GroupId) -> Result<GroupView, Error> {
        let my_device = self.identity()?.device.id();
        let index = self.index_view(group_id)?;
        let log = self.log(group_id)?;
        let mut members: Vec<MemberView> = log
            .state()
            .members
            .values()
            .map(|member| MemberView {
                id: member.id.to_string(),
                name: member.name.clone(),
                role: member.role.to_string(),
                devices: member
                    .devices
                    .iter()
                    .map(|d| d.peer_id().to_string())
                    .collect(),
                is_me: member.devices.contains(&my_device),
                elector: member.elector,
            })
            .collect();
        members.sort_by_key(|m| m.name.to_lowercase());
        let ended = ended_view(log, &my_device, &index.group_name);
        Ok(GroupView {
            id: group_id.to_string(),
            ended,
            name: index.group_name.clone(),
            members,
            invite_policy: log.state().policy.to_string(),
            election: election_view(log.state(), &my_device),
            docs: index
                .entries
                .iter()
                .map(|entry| DocSummary {
                    id: entry.doc.to_string(),
                    kind: entry.kind.to_string(),
                    title: entry.title.clone(),
                    archived: entry.archived,
                })
                .collect(),
        })
    }

    /// Renames a group (in its index document, which every member can edit).
    pub fn rename_group(&mut self, group_id: &GroupId, name: &str) -> Result<(), Error> {
        let name = non_empty(name, "a group's name")?;
        self.edit(&index_doc_id(group_id), Kind::Index, |doc, stamp| {
            mutual_docs::index::rename_group(doc, stamp, name)
        })
    }

    /// Admits the device with this peer id (as printed by its `mutual whoami`) as a member of
    /// its own, with `role` and a display name. Admins only; the signed op is durable when
    /// this returns, and the device receives the group when it next reaches a member.
    pub fn add_device(
        &mut self,
        group_id: &GroupId,
        peer_id: &str,
        role: Role,
        name: &str,
    ) -> Result<MemberId, Error> {
        let name = non_empty(name, "the new member's name")?;
        let device = parse_peer_id(peer_id)?;
        // Said here with the member's name: the log's own refusal knows only ids.
        self.load_group(group_id)?;
        if let Some(member) = self.log(group_id)?.state().member_of_device(&device) {
            return Err(Error::AlreadyMember {
                name: member.name.clone(),
            });
        }
        let action = Action::AddDevice {
            device,
            name: name.to_owned(),
            role,
        };
        self.author_one(group_id, action)?;
        Ok(device)
    }

    /// Finds a member of a group by `me`, exact name (any case) or id prefix.
    pub fn resolve_member(&mut self, group_id: &GroupId, who: &str) -> Result<MemberId, Error> {
        self.load_group(group_id)?;
        let device = self.identity()?.device.id();
        let log = self.log(group_id)?;
        let who = who.trim();
        if who.eq_ignore_ascii_case("me") {
            return log
                .state()
                .member_of_device(&device)
                .map(|m| m.id)
                .ok_or_else(|| Error::NotAMember {
                    group: group_id.to_string(),
                });
        }
        let members = &log.state().members;
        let by_name: Vec<_> = members
            .values()
            .filter(|m| m.name.to_lowercase() == who.to_lowercase())
            .collect();
        if let [one] = by_name.as_slice() {
            return Ok(one.id);
        }
        let by_id: Vec<_> = members
            .values()
            .filter(|m| !who.is_empty() && m.id.to_string().starts_with(&who.to_ascii_lowercase()))
            .collect();
        match (by_name.len(), by_id.as_slice()) {
            (0, []) => Err(Error::UnknownMember(who.to_owned())),
            (0, [one]) => Ok(one.id),
            (n, ids) => Err(Error::Ambiguous {
                what: "member",
                prefix: who.to_owned(),
                count: n + ids.len(),
            }),
        }
    }

    /// The display names of a group's current members, by member id.
    pub fn member_names(&mut self, group_id: &GroupId) -> Result<BTreeMap<String, String>, Error> {
        self.load_group(group_id)?;
        Ok(names_of(self.log(group_id)?.state()))
    }

    /// A group's index, read from its document; for a group joined through sync whose
    /// index has not arrived yet, an empty one named after the genesis op.
    pub(crate) fn index_view(
        &mut self,
        group_id: &GroupId,
    ) -> Result<mutual_docs::index::Index, Error> {
        self.load_group(group_id)?;
        let index = index_doc_id(group_id);
        let arrived = match self.load_doc(&index) {
            Ok(_) => true,
            Err(Error::UnknownDoc(_)) => false,
            Err(e) => return Err(e),
        };
        if !arrived || self.engine()?.doc_heads(&index).is_none_or(<[_]>::is_empty) {
            return Ok(mutual_docs::index::Index {
                group_name: self.log(group_id)?.state().name.clone(),
                created_at: 0,
                created_by: String::new(),
                entries: Vec::new(),
                set_aside: Vec::new(),
            });
        }
        match self.doc(&index)?.content {
            View::Index(index) => Ok(index),
            _ => Err(Error::Corrupt(format!("the index of group {group_id}"))),
        }
    }
}

/// The votes for an admin standing in `state`, as `device`'s person sees them.
fn election_view(state: &mutual_auth::GroupState, device: &mutual_auth::DeviceId) -> ElectionView {
    let name = |id: &MemberId| state.member(id).map(|m| m.name.clone()).unwrap_or_default();
    let voted: std::collections::BTreeSet<MemberId> = state.admin_votes.values().copied().collect();
    let mut candidates: Vec<CandidateView> = voted
        .iter()
        .filter(|candidate| state.member(candidate).is_some())
        .map(|candidate| CandidateView {
            id: candidate.to_string(),
            name: name(candidate),
            voters: state.votes_for(candidate).iter().map(name).collect(),
        })
        .filter(|candidate| !candidate.voters.is_empty())
        .collect();
    candidates.sort_by(|a, b| {
        b.voters
            .len()
            .cmp(&a.voters.len())
            .then(a.name.cmp(&b.name))
    });
    let me = state.member_of_device(device).map(|m| m.id);
    ElectionView {
        candidates,
        electors: count(state.electors()),
        majority: count(state.majority()),
        my_vote: me
            .and_then(|me| state.admin_votes.get(&me))
            .map(ToString::to_string),
    }
}
