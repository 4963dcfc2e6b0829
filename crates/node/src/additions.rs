//! Additions of this device to groups it does not hold, made by someone it did not ask:
//! the owner sees each (the group's name, who added the device) and accepts or ignores it.
//! Until accepted, the engine keeps none of the group's log or documents.

use mutual_store::{AdditionRecord, AdditionState, Write};
use mutual_sync::Engine;

use crate::replicas::parse_group_id;
use crate::view::AdditionView;
use std::str::FromStr as _;

use mutual_auth::GroupId;

use crate::{Error, Node};

impl Node {
    /// The additions waiting for this device's owner, oldest first.
    pub fn pending_additions(&self) -> Result<Vec<AdditionView>, Error> {
        Ok(self
            .store
            .additions()?
            .into_iter()
            .filter(|a| a.state == AdditionState::Pending)
            .map(view)
            .collect())
    }

    /// Accepts the pending (or ignored) addition to the group named `which` (or whose id
    /// starts with it): the group is taken from the member that offered it, now if it is
    /// connected, or when one next is.
    /// A whole group id that names no addition yet is accepted ahead: an admin about to
    /// add this device said which group.
    pub fn accept_addition(&mut self, which: &str) -> Result<AdditionView, Error> {
        let record = match self.resolve_addition(which) {
            Ok(record) => record,
            Err(Error::UnknownAddition(_)) if GroupId::from_str(which.trim()).is_ok() => {
                let group_id = which.trim().to_owned();
                if self.store.group(&group_id)?.is_some() {
                    return Err(Error::AlreadyHeld);
                }
                let record = AdditionRecord {
                    group_id,
                    name: String::new(),
                    added_by: String::new(),
                    by_device: String::new(),
                    added_at: crate::node::now_ms(),
                    state: AdditionState::Accepted,
                };
                self.store.commit(&[Write::Addition(record.clone())])?;
                record
            }
            Err(e) => return Err(e),
        };
        let group = parse_group_id(&record.group_id)?;
        self.store.commit(&[Write::AdditionState {
            group_id: record.group_id.clone(),
            state: AdditionState::Accepted,
        }])?;
        let outputs = self.engine_mut()?.accept(group);
        self.commit(Vec::new(), outputs)?;
        Ok(view(record))
    }

    /// Ignores the pending addition to the group named `which` (or whose id starts with
    /// it): it is listed no more, and the group is not asked for. Accepting it later still
    /// works.
    pub fn ignore_addition(&mut self, which: &str) -> Result<AdditionView, Error> {
        let record = self.resolve_addition(which)?;
        let group = parse_group_id(&record.group_id)?;
        self.store.commit(&[Write::AdditionState {
            group_id: record.group_id.clone(),
            state: AdditionState::Ignored,
        }])?;
        self.engine_mut()?.decline([group]);
        Ok(view(record))
    }

    /// A join admitted this device to `group` (named `name` by `by_device`): it is taken
    /// when its log arrives, even after the join gave up waiting for it.
    pub(crate) fn accept_joined(
        &mut self,
        group: GroupId,
        name: &str,
        by_device: &str,
    ) -> Result<(), Error> {
        if self.engine()?.log(&group).is_some() {
            return Ok(());
        }
        let group_id = group.to_string();
        self.store.commit(&[
            Write::Addition(AdditionRecord {
                group_id: group_id.clone(),
                name: name.to_owned(),
                added_by: String::new(),
                by_device: by_device.to_owned(),
                added_at: crate::node::now_ms(),
                state: AdditionState::Accepted,
            }),
            Write::AdditionState {
                group_id,
                state: AdditionState::Accepted,
            },
        ])?;
        let outputs = self.engine_mut()?.accept(group);
        self.commit(Vec::new(), outputs)
    }

    /// The addition `which` names: a pending or ignored one, by exact name (any case) or
    /// group id prefix.
    fn resolve_addition(&self, which: &str) -> Result<AdditionRecord, Error> {
        let which = which.trim();
        let open: Vec<AdditionRecord> = self
            .store
            .additions()?
            .into_iter()
            .filter(|a| a.state != AdditionState::Accepted)
            .collect();
        let by_name: Vec<&AdditionRecord> = open
            .iter()
            .filter(|a| a.name.eq_ignore_ascii_case(which))
            .collect();
        let prefix = which.to_ascii_lowercase();
        let by_id: Vec<&AdditionRecord> = open
            .iter()
            .filter(|a| !prefix.is_empty() && a.group_id.starts_with(&prefix))
            .collect();
        let matches = if by_name.is_empty() { by_id } else { by_name };
        match matches.as_slice() {
            [] => Err(Error::UnknownAddition(which.to_owned())),
            [one] => Ok((*one).clone()),
            many => Err(Error::Ambiguous {
                what: "pending addition",
                prefix: which.to_owned(),
                count: many.len(),
            }),
        }
    }
}

/// Tells a new engine what its owner said of additions: pending and ignored ones are not
/// asked for, accepted ones are taken when their log arrives.
pub(crate) fn restore_consent(engine: &mut Engine, additions: &[AdditionRecord]) {
    let group = |a: &AdditionRecord| parse_group_id(&a.group_id).ok();
    engine.decline(
        additions
            .iter()
            .filter(|a| a.state != AdditionState::Accepted)
            .filter_map(group),
    );
    for addition in additions
        .iter()
        .filter(|a| a.state == AdditionState::Accepted)
    {
        if let Some(id) = group(addition) {
            // Nobody is connected yet: there is no one to ask.
            let _ = engine.accept(id);
        }
    }
}

fn view(record: AdditionRecord) -> AdditionView {
    AdditionView {
        group: record.group_id,
        name: record.name,
        added_by: record.added_by,
        added_by_device: record.by_device,
        added_at: record.added_at,
    }
}

/// How the engine's addition is stored: pending.
pub(crate) fn record_of(addition: mutual_sync::Addition) -> AdditionRecord {
    AdditionRecord {
        group_id: addition.group.to_string(),
        name: addition.name,
        added_by: addition.added_by,
        by_device: addition.by_device.peer_id().to_string(),
        added_at: i64::try_from(addition.at).unwrap_or(i64::MAX),
        state: AdditionState::Pending,
    }
}

/// How the engine's addition is shown.
pub(crate) fn view_of(addition: mutual_sync::Addition) -> AdditionView {
    view(record_of(addition))
}
