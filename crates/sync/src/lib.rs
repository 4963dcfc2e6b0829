#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]
//! The sans-IO sync engine of Mutual: keeps the membership logs and Automerge documents of a
//! device's groups in sync with the devices of the other members.
//!
//! # Main types
//!
//! - [`Engine`]: one device's engine, and the one owner of its groups and documents while it
//!   runs. Fill it with what the node stored ([`Engine::load`]), feed it [`Input`]s with
//!   [`Engine::handle`]`(now, input)` and perform the [`Output`]s it returns, in order; read
//!   documents with [`Engine::doc`] and edit them with [`Engine::edit`] (which returns
//!   outputs too).
//! - [`wire`]: the [`wire::Message`]s, their frames, and [`wire::FrameDecoder`] for the
//!   transport.
//!
//! # Invariants
//!
//! - Invariant: this crate does no IO. No sockets, storage, clock or global RNG: time comes in
//!   as `now`, effects go out as [`Output`]s. So a simulation can run many engines
//!   deterministically (crates/testkit).
//! - Invariant: members only. Nothing of a group (its id, ops, document ids, heads, changes) is
//!   sent to a device that is not a current member's device in this device's log of the group,
//!   and nothing received of a group is applied unless the sender is one.
//! - Invariant: a document change is applied only if its actor is a device the group's log
//!   knows ([`mutual_auth::Log::known_devices`]) and that device vouched for it: a batch of
//!   changes carries each device's signature over its newest change in the batch, whose hash
//!   covers the others ([`tips`]). Every change of a batch is checked before anything of it
//!   is applied; Automerge sync messages must be V1 (one change per chunk) for that, and a
//!   whole document is loaded apart and checked before it is merged.
//! - Invariant: nothing a peer sends can panic the engine; a malformed, oversized,
//!   out-of-order or forged message ends that peer's session with a reason.
//! - Invariant: outputs of one call are ordered so that every `Persist*` comes before any
//!   `Send` that acknowledges or relays what it persists.
//! - Invariant: status is never assumed. Whether a peer is in sync, and which changes no
//!   other device holds, are computed from what each peer said it holds (its heads in a
//!   sync message, its `DocHeads`, a digest equal to ours), kept across sessions.
//!
//! # Protocol (wire version 4)
//!
//! 1. **Hello.** On `Connected`, both sides send `Hello { version, offers }`: one
//!    [`wire::Offer`] `(group, log heads, docs digest)` per group in which, in the sender's
//!    log, the peer is a current member's device. The digest is SHA-256 over the sorted
//!    (doc id, sorted heads) of the group's non-empty documents. A peer never learns of a
//!    group it is not a member of. Anything before a hello, a second hello or another
//!    version ends the session.
//! 2. **Offers.** A group is *active* with a peer once both offers crossed and the peer is a
//!    member's device in my current log; only then does data flow. An offer for a group in
//!    which the peer is not a member in my view is ignored (no answer, nothing revealed). An
//!    offer for a group I lack is answered with an offer with empty heads (a request for its
//!    log): I may have just been added. When a log change makes a connected peer a member,
//!    I send it an `Offer` then.
//! 3. **Log first.** Each side sends `Ops { group, ops }` with the ops the other lacks given
//!    its offered heads, parents first. The receiver inserts them with `Log::insert`, parking
//!    ops whose parents are missing (at most [`engine::MAX_PARKED_OPS`] per group); an op
//!    refused for good (forged, unauthorized) ends the session. For a group I lack, ops are
//!    accepted only after my request, only if they start with that group's valid genesis and,
//!    once all are in, my device is a member's device. Then the group is joined if my owner
//!    agreed (a join under way that this admission answers, or an accepted addition);
//!    otherwise only the addition (the group's name, who added me) is kept for my owner,
//!    and I ask for that log no more until my owner accepts.
//! 4. **Then documents.** Equal digests (and heads): the group is in sync, with no further
//!    message, so a reconnect with nothing new costs one round trip per shared group,
//!    whatever the number of documents. Otherwise both send `DocHeads { group, index, docs }`
//!    and run Automerge's sync protocol (V1 messages, in `Sync { group, doc, message,
//!    signatures }`) only for documents whose heads differ. A document the other side
//!    holds nothing of crosses whole instead, compressed, in one `Doc { group, doc, bytes,
//!    signatures }` (a few bytes per change, where a change alone costs a hundred): a
//!    joiner's fetch is one message per document. The dialer opens each differing
//!    document; the other side opens only those where it holds every head the dialer sent
//!    (then it alone has changes to send), and a side that holds nothing waits, so a
//!    document never crosses twice. When a side knows all the other's heads, its first
//!    message carries exactly the missing changes.
//! 5. **Live.** Then local changes and ops, and those received from one peer, are pushed at
//!    once to every other peer the group is active with. Automerge's sync state keeps at most
//!    one message in flight per (peer, document).
//! 6. **Membership changes.** After every log change each session is re-checked: a peer
//!    that is no longer a member's device gets nothing more of the group, and a peer left
//!    with no shared group is disconnected ("no longer a member").
//! 7. **Acknowledgement.** Every `Ops` message carries the sender's log heads, and every
//!    Automerge sync message the sender's document heads, so each side knows what the other
//!    holds. Data that no Automerge reply acknowledges (ops, a whole document) is
//!    acknowledged by one `Summary` (log heads and documents digest) once the receiver holds
//!    everything the sender is known to hold; a summary is never answered. So both sides of
//!    a join, an edit or a membership change learn that they are in sync.
//!
//! # Bounds
//!
//! Frames are at most [`wire::MAX_FRAME`] bytes. Per peer: at most one exchange per group I hold
//! plus [`engine::MAX_UNKNOWN_GROUPS`], one Automerge sync state per document of a shared
//! group, one partial log of a group being joined ([`engine::MAX_JOIN_OPS`]). Documents a peer
//! can make me create: [`engine::MAX_DOCS_PER_GROUP`] per group. There are no queues: every
//! effect is returned by the `handle` call that caused it.

pub mod chunks;
pub mod engine;
mod input;
mod output;
pub mod tips;
pub mod wire;

pub use engine::{
    Addition, Engine, Expected, Held, LocalRefusal, MAX_JOIN_OPS, Reason, Refusal, StoredDoc,
    StoredGroup,
};
pub use input::Input;
pub use output::{Event, Output};
pub use tips::Tip;
