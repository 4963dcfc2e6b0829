//! A deterministic N-peer simulation over the sans-IO sync engine (`mutual-sync`).
//!
//! # Main types
//!
//! - [`Sim`]: seeded, on a virtual clock. Add peers (each with its own [`mutual_sync::Engine`],
//!   keys drawn from the seed and a simulated persistent store fed by the engine's `Persist*`
//!   outputs), found groups, add and remove members, make typed edits (`mutual_docs::board::Op`, as the command line and the app send them), connect,
//!   partition, heal, crash and restart peers, then [`Sim::run_until_quiet`] and check
//!   [`Sim::assert_converged`] and [`Sim::assert_members_only`].
//! - [`LinkModel`]: latency, and the faults a real stream never shows but a broken connection
//!   can: loss, duplication, reordering. Each fault is followed by the connection breaking, as
//!   a real transport would, and peers redial.
//!
//! # Invariants
//!
//! - Invariant: a run is a function of the seed and the calls made, except for the random
//!   ids that `mutual-docs` gives new cards and columns (drawn from the OS generator there):
//!   the schedule of events is replayed exactly, the bytes of the changes differ.
//! - Invariant: a restarted peer holds exactly what its engine asked to persist (plus its own
//!   edits, persisted before they are handed to the engine), nothing else survives a crash.
//!
//! - [`pair::Net`]: a few named devices driven step by step, for tests that follow the
//!   protocol message by message (round trips, refusals, what each frame carries).
//!
//! A failing property panics with the seed and a short trace tail, so it can be replayed
//! (`SIM_SEED=<seed> SIM_PEERS=<n> cargo nextest run -p mutual-testkit`).

pub mod pair;
mod sim;

pub use sim::{LinkModel, PeerIdx, Sim};
