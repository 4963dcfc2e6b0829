//! Strategies and helpers shared by the integration tests.
#![allow(dead_code, reason = "each test binary uses some of these")]
#![allow(
    clippy::unwrap_used,
    reason = "test helpers, where a failure should panic"
)]

use data_encoding::{Encoding, Specification};
use mutual_codes::{Code, FullCode, MAX_FULL_CHARS, MeetupCode};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use sha2::{Digest, Sha256};

/// Crockford's base32 symbols, written out again rather than taken from the crate.
pub(crate) const SYMBOLS: &str = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

pub(crate) fn meetup_code() -> impl Strategy<Value = MeetupCode> {
    any::<[u8; 12]>().prop_map(|secret| MeetupCode { secret })
}

/// Mostly addresses of realistic sizes, sometimes ones too long to fit or to encode.
pub(crate) fn address() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        6 => vec(any::<u8>(), 0..=60),
        1 => vec(any::<u8>(), 61..=300),
    ]
}

pub(crate) fn full_code() -> impl Strategy<Value = FullCode> {
    (
        any::<[u8; 32]>(),
        any::<[u8; 12]>(),
        any::<[u8; 32]>(),
        option::of(any::<[u8; 32]>()),
        vec(address(), 0..8),
    )
        .prop_map(
            |(group, secret, inviter, member_secret, addresses)| FullCode {
                group,
                secret,
                inviter,
                member_secret,
                addresses,
            },
        )
}

pub(crate) fn code() -> impl Strategy<Value = Code> {
    prop_oneof![
        meetup_code().prop_map(Code::Meetup),
        full_code().prop_map(Code::Full),
    ]
}

/// `code` as its text carries it: without the addresses that do not fit.
pub(crate) fn fitted(code: &Code) -> Code {
    let mut code = code.clone();
    if let Code::Full(full) = &mut code {
        full.addresses.truncate(full.addresses_that_fit());
    }
    code
}

/// How many addresses fit, worked out from the documented frame layout rather than by the
/// crate: the longest prefix whose frame's text is at most `MAX_FULL_CHARS` characters.
pub(crate) fn expected_fit(code: &FullCode) -> usize {
    let key = if code.member_secret.is_some() { 32 } else { 0 };
    let mut frame_len = 1 + 32 + 12 + 32 + key + 1 + 4;
    let mut kept = 0;
    for address in &code.addresses {
        let next = frame_len + 1 + address.len();
        if address.len() > 255 || (next * 8).div_ceil(5) > MAX_FULL_CHARS {
            break;
        }
        frame_len = next;
        kept += 1;
    }
    kept
}

/// Typical libp2p multiaddrs of an inviter, in binary form: LAN TCP (8 bytes), LAN QUIC
/// (11 bytes) and a relayed address through a relay's peer id (51 bytes).
pub(crate) fn typical_addresses() -> Vec<Vec<u8>> {
    // /ip4/192.168.1.20/tcp/4001
    let lan_tcp = vec![0x04, 192, 168, 1, 20, 0x06, 0x0f, 0xa1];
    // /ip4/192.168.1.20/udp/4001/quic-v1
    let lan_quic = vec![0x04, 192, 168, 1, 20, 0x91, 0x02, 0x0f, 0xa1, 0xcc, 0x03];
    // /ip4/203.0.113.7/tcp/4001/p2p/<38-byte peer id>/p2p-circuit
    let mut relay = vec![0x04, 203, 0, 113, 7, 0x06, 0x0f, 0xa1, 0xa5, 0x03, 38];
    relay.extend((0..38u8).map(|i| i.wrapping_mul(7)));
    relay.extend([0xa2, 0x02]);
    vec![lan_tcp, lan_quic, relay]
}

/// Whether `text` (upper-case symbols only) is a frame whose checksum holds, computed here
/// from the documented layout: how a test tells a checksum collision, which a truncated
/// SHA-256 lets through now and then, from a parser that ignores part of its input.
pub(crate) fn checksum_holds(text: &str) -> bool {
    let mut spec = Specification::new();
    spec.symbols.push_str(SYMBOLS);
    let crockford: Encoding = spec.encoding().unwrap();
    let Ok(frame) = crockford.decode(text.as_bytes()) else {
        return false;
    };
    let check_len = if frame.len() == 15 { 2 } else { 4 };
    if frame.len() < 7 {
        return false;
    }
    let (body, check) = frame.split_at(frame.len() - check_len);
    let digest = Sha256::new()
        .chain_update(b"mutual/code")
        .chain_update(body)
        .finalize();
    digest[..check_len] == *check
}
