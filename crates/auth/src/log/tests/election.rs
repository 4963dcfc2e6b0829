//! Electing an admin: members recover one when every admin's laptop is lost, by a majority
//! of the electors (the founder, members an admin admitted or invited, and admins), and
//! nobody outvotes the group with members of their own making.

use super::*;

fn vote_admin(who: &Peer) -> Action {
    Action::VoteAdmin { member: who.id() }
}

/// alice (the founder, sole admin) admits bob, carol and dave directly, and erin with
/// carol's invite: four electors and erin, who is not one.
fn group_of_five(c: &Cast) -> Log {
    let (mut log, _) = Log::create("Tenants", "alice", &c.alice.member, &c.alice.device, T0);
    for (who, at) in [(&c.bob, 1), (&c.carol, 2), (&c.dave, 3)] {
        log.author(&c.alice.device, add(who, Role::Member), T0 + at)
            .unwrap();
    }
    let key = invite(&mut log, &c.carol.device, Role::Member, T0 + 1_000, 1);
    let action = join(&log, &key, &c.erin, Role::Member);
    log.author(&c.carol.device, action, T0 + 20).unwrap();
    log
}

#[test]
fn a_majority_of_the_electors_makes_a_member_an_admin() {
    let c = cast();
    let mut log = group_of_five(&c);
    let state = log.state();
    assert_eq!(state.electors(), 4, "alice, bob, carol, dave");
    assert!(!state.member(&c.erin.id()).unwrap().elector);
    assert_eq!(state.majority(), 3);

    // alice's laptop is lost. bob and carol vote for carol: two of four is no majority.
    log.author(&c.bob.device, vote_admin(&c.carol), T0 + 30)
        .unwrap();
    log.author(&c.carol.device, vote_admin(&c.carol), T0 + 31)
        .unwrap();
    assert_eq!(
        log.state().member(&c.carol.id()).unwrap().role,
        Role::Member
    );
    assert_eq!(log.state().votes_for(&c.carol.id()).len(), 2);

    // dave's vote makes three: carol is an admin, and acts as one.
    log.author(&c.dave.device, vote_admin(&c.carol), T0 + 32)
        .unwrap();
    assert_eq!(log.state().member(&c.carol.id()).unwrap().role, Role::Admin);
    assert!(log.state().admin_votes.is_empty());
    log.author(&c.carol.device, set_role(&c.dave, Role::Admin), T0 + 33)
        .unwrap();
    assert!(log.state().is_admin(&c.dave.id()));
}

#[test]
fn members_of_a_members_own_making_cannot_vote() {
    let c = cast();
    let mut log = group_of_five(&c);
    // erin joined with carol's (a plain member's) invite: her vote is refused at once.
    let op = SignedOp::sign(
        draft(&log, &c.erin.device, vote_admin(&c.erin)),
        &c.erin.device,
    )
    .unwrap();
    assert_rejected(&mut log, op, Rejected::NotAnElector);

    // carol invites mallory too (any member may invite): still no vote, however many
    // such members carol brings.
    let key = invite_seeded(&mut log, &c.carol.device, Role::Member, T0 + 1_000, 1, 7);
    let action = join(&log, &key, &c.mallory, Role::Member);
    log.author(&c.carol.device, action, T0 + 40).unwrap();
    assert_eq!(log.state().electors(), 4);
    assert!(!log.state().member(&c.mallory.id()).unwrap().elector);
}

#[test]
fn a_later_vote_replaces_an_earlier_one_and_a_removed_voters_vote_goes() {
    let c = cast();
    let mut log = group_of_five(&c);
    log.author(&c.bob.device, vote_admin(&c.carol), T0 + 30)
        .unwrap();
    log.author(&c.bob.device, vote_admin(&c.dave), T0 + 31)
        .unwrap();
    assert!(log.state().votes_for(&c.carol.id()).is_empty());
    assert_eq!(log.state().votes_for(&c.dave.id()), vec![c.bob.id()]);

    log.author(&c.alice.device, remove(&c.bob), T0 + 32)
        .unwrap();
    assert!(log.state().votes_for(&c.dave.id()).is_empty());
    assert_eq!(log.state().electors(), 3);
}

#[test]
fn a_vote_cast_while_its_voter_is_removed_does_not_count() {
    // bob votes for carol while alice, concurrently, removes bob: both replicas drop his
    // vote once they hold both ops.
    let c = cast();
    let mut base = group_of_five(&c);
    base.author(&c.dave.device, vote_admin(&c.carol), T0 + 30)
        .unwrap();
    let mut bobs = base.clone();
    bobs.author(&c.bob.device, vote_admin(&c.carol), T0 + 40)
        .unwrap();
    assert_eq!(bobs.state().votes_for(&c.carol.id()).len(), 2);
    let mut alices = base.clone();
    alices
        .author(&c.alice.device, remove(&c.bob), T0 + 40)
        .unwrap();
    sync(&mut bobs, &mut alices);
    assert_eq!(alices.state().votes_for(&c.carol.id()), vec![c.dave.id()]);
    assert!(!alices.state().is_admin(&c.carol.id()));
}

#[test]
fn votes_that_become_a_majority_when_an_elector_leaves_elect() {
    // Two of four vote for carol; dave leaves: two of three is a majority.
    let c = cast();
    let mut log = group_of_five(&c);
    log.author(&c.bob.device, vote_admin(&c.carol), T0 + 30)
        .unwrap();
    log.author(&c.carol.device, vote_admin(&c.carol), T0 + 31)
        .unwrap();
    assert!(!log.state().is_admin(&c.carol.id()));
    log.author(&c.dave.device, remove(&c.dave), T0 + 32)
        .unwrap();
    assert!(log.state().is_admin(&c.carol.id()));
}
