//! Every code's text parses back to it; full codes fit in `MAX_FULL_CHARS` characters.

mod common;

use common::{SYMBOLS, code, expected_fit, fitted, full_code, meetup_code, typical_addresses};
use mutual_codes::{Code, FullCode, MAX_FULL_CHARS};
use proptest::prelude::*;

fn alice_invite(addresses: Vec<Vec<u8>>) -> FullCode {
    FullCode {
        group: [0x11; 32],
        secret: *b"alice secret",
        inviter: [0x22; 32],
        member_secret: None,
        addresses,
    }
}

proptest! {
    #[test]
    fn meetup_codes_round_trip(code in meetup_code()) {
        let text = code.to_text();
        prop_assert_eq!(text.len(), 29);
        prop_assert_eq!(text.replace('-', "").len(), 24);
        prop_assert!(text.split('-').all(|group| group.len() == 4));
        prop_assert_eq!(Code::parse(&text), Ok(Code::Meetup(code)));
    }

    #[test]
    fn full_and_link_codes_round_trip_with_the_addresses_that_fit(code in full_code()) {
        let text = code.to_text();
        prop_assert!(text.len() <= MAX_FULL_CHARS, "{} characters", text.len());
        prop_assert!(text.chars().all(|c| SYMBOLS.contains(c)), "{}", text);
        prop_assert_eq!(code.addresses_that_fit(), expected_fit(&code));
        let expected = fitted(&Code::Full(code.clone()));
        prop_assert_eq!(Code::parse(&text), Ok(expected));
    }

    #[test]
    fn every_code_carries_its_secret(code in code()) {
        let parsed = Code::parse(&code.to_text()).unwrap();
        prop_assert_eq!(parsed.secret(), code.secret());
        if let Code::Full(full) = &code {
            let meetup = Code::parse(&full.meetup().to_text()).unwrap();
            prop_assert_eq!(meetup.secret(), full.secret);
        }
    }

    #[test]
    fn display_and_from_str_agree_with_to_text_and_parse(code in code()) {
        let text = code.to_string();
        prop_assert_eq!(&text, &code.to_text());
        prop_assert_eq!(text.parse::<Code>(), Ok(fitted(&code)));
    }
}

#[test]
fn a_full_code_with_three_typical_addresses_is_under_400_characters() {
    let invite = alice_invite(typical_addresses());
    assert_eq!(invite.addresses_that_fit(), 3);
    let text = invite.to_text();
    assert_eq!(text.len(), 248);
    assert_eq!(Code::parse(&text), Ok(Code::Full(invite.clone())));

    let link = FullCode {
        member_secret: Some([0x33; 32]),
        ..invite
    };
    assert_eq!(link.addresses_that_fit(), 3);
    let text = link.to_text();
    assert_eq!(text.len(), 300);
    assert_eq!(Code::parse(&text), Ok(Code::Full(link)));
}

#[test]
fn addresses_that_do_not_fit_are_dropped_from_the_end() {
    let relay = typical_addresses().pop().unwrap();
    // Twenty 51-byte relay addresses, each marked so that their order shows.
    let addresses: Vec<Vec<u8>> = (0..20u8)
        .map(|i| {
            let mut address = relay.clone();
            address[4] = i;
            address
        })
        .collect();
    let invite = alice_invite(addresses.clone());
    // 249 frame bytes, 82 of them fixed: room for three addresses of 1 + 51 bytes.
    assert_eq!(invite.addresses_that_fit(), 3);
    let text = invite.to_text();
    assert!(text.len() <= MAX_FULL_CHARS);
    let Ok(Code::Full(parsed)) = Code::parse(&text) else {
        panic!("the fitted code parses");
    };
    assert_eq!(parsed.addresses, addresses[..3]);

    // A link code carries 32 more bytes: room for two.
    let link = FullCode {
        member_secret: Some([0x33; 32]),
        ..invite
    };
    assert_eq!(link.addresses_that_fit(), 2);
    assert!(link.to_text().len() <= MAX_FULL_CHARS);
}

#[test]
fn an_address_too_long_for_its_length_byte_is_never_written() {
    let invite = alice_invite(vec![vec![0xaa; 256], vec![1; 8]]);
    assert_eq!(invite.addresses_that_fit(), 0);
    let Ok(Code::Full(parsed)) = Code::parse(&invite.to_text()) else {
        panic!("the fitted code parses");
    };
    assert!(parsed.addresses.is_empty());
}

#[test]
fn a_full_code_gives_the_meetup_code_of_the_same_invite() {
    let invite = alice_invite(typical_addresses());
    let meetup = invite.meetup();
    assert_eq!(meetup.secret, invite.secret);
    assert_eq!(
        Code::parse(&meetup.to_text()).unwrap().secret(),
        Code::parse(&invite.to_text()).unwrap().secret()
    );
    assert!(!invite.is_link());
}
