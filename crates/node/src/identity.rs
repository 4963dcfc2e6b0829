//! This device's keys and name.

use mutual_auth::{DeviceCert, DeviceKey, MemberKey};
use mutual_store::IdentityRecord;

use crate::Error;

/// This device's identity: the person's member key and name, and this device's key with
/// the member's certificate of it.
pub struct Identity {
    /// The person's display name.
    pub name: String,
    /// The member key (the person).
    pub member: MemberKey,
    /// This device's key (its `PeerId` on the network, and its Automerge actor).
    pub device: DeviceKey,
    /// The member's certificate of this device.
    pub cert: DeviceCert,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("name", &self.name)
            .field("member", &self.member.id())
            .field("device", &self.device.id())
            .finish_non_exhaustive()
    }
}

impl Identity {
    /// A new identity with fresh keys.
    pub fn generate(name: &str) -> Identity {
        let member = MemberKey::generate();
        let device = DeviceKey::generate();
        let cert = DeviceCert::new(&member, &device);
        Identity {
            name: name.to_owned(),
            member,
            device,
            cert,
        }
    }

    pub(crate) fn to_record(&self, created_at: i64) -> IdentityRecord {
        IdentityRecord {
            name: self.name.clone(),
            member_secret: self.member.secret_bytes(),
            device_secret: self.device.secret_bytes(),
            device_cert: self.cert.to_bytes(),
            created_at,
        }
    }

    pub(crate) fn from_record(record: &IdentityRecord) -> Result<Identity, Error> {
        let member = MemberKey::from_secret_bytes(record.member_secret);
        let device = DeviceKey::from_secret_bytes(record.device_secret);
        let cert = DeviceCert::from_bytes(&record.device_cert)
            .map_err(|_| Error::Corrupt("this device's certificate".into()))?;
        if cert.member != member.id() || cert.device != device.id() || cert.verify().is_err() {
            return Err(Error::Corrupt("this device's certificate".into()));
        }
        Ok(Identity {
            name: record.name.clone(),
            member,
            device,
            cert,
        })
    }

    /// The Automerge actor id of this device's changes: its public key.
    pub fn actor(&self) -> automerge::ActorId {
        automerge::ActorId::from(self.device.id().as_bytes().as_slice())
    }
}
