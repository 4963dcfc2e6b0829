use super::*;

fn identity(name: &str) -> IdentityRecord {
    IdentityRecord {
        name: name.into(),
        member_secret: [1; 32],
        device_secret: [2; 32],
        device_cert: vec![3; 100],
        created_at: 42,
    }
}

fn group(id: &str) -> Write {
    Write::Group(GroupRecord {
        group_id: id.into(),
        index_doc: format!("{id}-index"),
        joined_at: 1,
    })
}

fn doc(id: &str, group_id: &str) -> Write {
    Write::Doc(DocRecord {
        doc_id: id.into(),
        group_id: group_id.into(),
        kind: "board".into(),
        created_at: 2,
    })
}

fn changes(doc_id: &str, bytes: &[u8]) -> Write {
    Write::Changes {
        doc_id: doc_id.into(),
        bytes: bytes.to_vec(),
    }
}

#[test]
fn a_second_opener_of_the_same_dir_is_told_it_is_busy() {
    let dir = tempfile::tempdir().unwrap();
    let _alice = Store::open(dir.path()).unwrap();
    let err = Store::open(dir.path()).unwrap_err();
    assert!(matches!(err, Error::Busy { pid: Some(pid), .. } if pid == std::process::id()));
    assert!(err.to_string().contains("another Mutual process"), "{err}");
}

#[test]
fn the_lock_is_released_when_the_store_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    drop(Store::open(dir.path()).unwrap());
    Store::open(dir.path()).unwrap();
}

#[test]
fn identity_is_kept_and_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    assert_eq!(store.identity().unwrap(), None);
    store.commit(&[Write::Identity(identity("alice"))]).unwrap();
    let err = store
        .commit(&[Write::Identity(identity("mallory"))])
        .unwrap_err();
    assert!(matches!(err, Error::IdentityExists));
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.identity().unwrap(), Some(identity("alice")));
}

#[test]
fn a_batch_is_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    // The second write names a group that does not exist: the whole batch must fail.
    let err = store.commit(&[group("g1"), doc("d1", "nope")]);
    assert!(err.is_err());
    assert!(store.groups().unwrap().is_empty());
    assert!(store.doc("d1").unwrap().is_none());
}

#[test]
fn ops_come_back_in_acceptance_order_and_duplicates_are_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let op = |id: &str, bytes: &[u8]| Write::Op {
        group_id: "g1".into(),
        op_id: id.into(),
        bytes: bytes.to_vec(),
    };
    store
        .commit(&[group("g1"), op("o1", b"first"), op("o2", b"second")])
        .unwrap();
    store.commit(&[op("o1", b"first")]).unwrap();
    assert_eq!(
        store.ops("g1").unwrap(),
        vec![b"first".to_vec(), b"second".to_vec()]
    );
}

#[test]
fn chunks_concatenate_in_order_and_compaction_keeps_later_chunks_after_the_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store
        .commit(&[group("g1"), doc("d1", "g1"), changes("d1", b"aa")])
        .unwrap();
    store.commit(&[changes("d1", b"bb")]).unwrap();
    let loaded = store.load_doc("d1").unwrap();
    assert_eq!(loaded.bytes, b"aabb");
    assert_eq!(loaded.chunks, 2);

    // A chunk lands between reading the document and compacting it.
    store.commit(&[changes("d1", b"cc")]).unwrap();
    store
        .commit(&[Write::Compact {
            doc_id: "d1".into(),
            through_seq: loaded.last_seq,
            snapshot: b"AB".to_vec(),
        }])
        .unwrap();
    let after = store.load_doc("d1").unwrap();
    assert_eq!(after.bytes, b"ABcc");
    assert_eq!(after.chunks, 2);
}

#[test]
fn an_empty_change_set_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store
        .commit(&[
            group("g1"),
            doc("d1", "g1"),
            changes("d1", b"x"),
            changes("d1", b""),
        ])
        .unwrap();
    assert_eq!(store.load_doc("d1").unwrap().chunks, 1);
}

#[test]
fn a_document_without_chunks_is_an_error_not_an_empty_document() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store.commit(&[group("g1"), doc("d1", "g1")]).unwrap();
    assert!(matches!(store.load_doc("d1"), Err(Error::EmptyDoc(_))));
}

#[test]
fn prefixes_find_every_match_and_only_matches() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store
        .commit(&[
            group("abc1"),
            group("abd2"),
            doc("xy1", "abc1"),
            doc("xz2", "abc1"),
        ])
        .unwrap();
    assert_eq!(
        store.groups_with_prefix("ab").unwrap(),
        vec!["abc1", "abd2"]
    );
    assert_eq!(store.groups_with_prefix("abd").unwrap(), vec!["abd2"]);
    assert!(store.groups_with_prefix("%").unwrap().is_empty());
    let found: Vec<_> = store
        .docs_with_prefix("xy")
        .unwrap()
        .into_iter()
        .map(|d| d.doc_id)
        .collect();
    assert_eq!(found, vec!["xy1"]);
}

#[test]
fn the_database_uses_wal_and_full_sync() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mode: String = store
        .conn
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    let sync: i64 = store
        .conn
        .query_row("PRAGMA synchronous", [], |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(sync, 2, "synchronous = FULL");
    assert!(store.integrity_ok().unwrap());
}

#[test]
fn the_address_book_keeps_the_latest_addresses_of_each_peer() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let peer = |addresses: &[&str], last_seen| {
        Write::Peer(PeerRecord {
            peer_id: "12D3KooWpeer".into(),
            addresses: addresses.iter().map(|a| a.to_string()).collect(),
            last_seen,
        })
    };
    store.commit(&[peer(&["/ip4/10.0.0.1/tcp/1"], 1)]).unwrap();
    store
        .commit(&[peer(&["/ip4/10.0.0.2/tcp/2", "/ip4/10.0.0.1/tcp/1"], 2)])
        .unwrap();
    let peers = store.peers().unwrap();
    assert_eq!(peers.len(), 1);
    assert_eq!(
        peers[0].addresses,
        vec!["/ip4/10.0.0.2/tcp/2", "/ip4/10.0.0.1/tcp/1"]
    );
    assert_eq!(peers[0].last_seen, 2);
    drop(store);
    // Reopening keeps it (and the migrations do not run twice).
    assert_eq!(Store::open(dir.path()).unwrap().peers().unwrap(), peers);
}

#[test]
fn the_listen_port_is_kept_across_a_reopen_and_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    assert_eq!(store.listen_port().unwrap(), None);
    store.commit(&[Write::ListenPort(4001)]).unwrap();
    store.commit(&[Write::ListenPort(4002)]).unwrap();
    drop(store);
    assert_eq!(
        Store::open(dir.path()).unwrap().listen_port().unwrap(),
        Some(4002)
    );
}

#[test]
fn a_tip_is_kept_per_document_and_device_and_only_moves_forward() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let tip = |actor: u8, seq: u64| crate::TipRecord {
        actor: [actor; 32],
        seq,
        hash: [seq as u8; 32],
        signature: [actor ^ seq as u8; 64],
    };
    let write = |doc: &str, tips: Vec<crate::TipRecord>| Write::Tips {
        doc_id: doc.into(),
        tips,
    };
    store
        .commit(&[write("doc", vec![tip(1, 5), tip(2, 1)])])
        .unwrap();
    // A newer tip of device 1 replaces its old one; an older one of device 2 does not.
    store.commit(&[write("doc", vec![tip(1, 9)])]).unwrap();
    store.commit(&[write("doc", vec![tip(2, 0)])]).unwrap();
    store
        .commit(&[write("other doc", vec![tip(1, 2)])])
        .unwrap();
    assert_eq!(store.tips("doc").unwrap(), vec![tip(1, 9), tip(2, 1)]);
    assert_eq!(store.tips("other doc").unwrap(), vec![tip(1, 2)]);
    assert!(store.tips("a third doc").unwrap().is_empty());
}

#[test]
fn a_backup_restores_everything_into_an_empty_directory_only() {
    let (dir, backup_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut store = Store::open(dir.path()).unwrap();
    store
        .commit(&[Write::Identity(identity("Ada")), group("g1")])
        .unwrap();
    let backup = backup_dir.path().join("mutual.backup");
    store.backup_to(&backup).unwrap();
    // Not over an existing file.
    assert!(matches!(
        store.backup_to(&backup),
        Err(Error::BackupExists(_))
    ));

    let target = tempfile::tempdir().unwrap();
    let restored = Store::restore(&backup, &target.path().join("new")).unwrap();
    assert_eq!(restored.identity().unwrap().unwrap().name, "Ada");
    assert_eq!(restored.groups().unwrap().len(), 1);
    assert!(restored.integrity_ok().unwrap());
    drop(store);
    // Never over a directory with an identity, and never from a file that is not a backup.
    assert!(matches!(
        Store::restore(&backup, dir.path()),
        Err(Error::RestoreOverData(_))
    ));
    let junk = backup_dir.path().join("junk");
    std::fs::write(&junk, b"not a database at all").unwrap();
    assert!(matches!(
        Store::restore(&junk, &target.path().join("other")),
        Err(Error::BadBackup { .. })
    ));
}

#[test]
fn what_peers_hold_and_when_they_were_in_sync_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let held = |heads: Vec<[u8; 32]>| HeldRecord {
        device_id: "bob".into(),
        doc_id: "d1".into(),
        heads,
    };
    store
        .commit(&[
            group("g1"),
            doc("d1", "g1"),
            Write::Held(held(vec![[1; 32]])),
            Write::Held(held(vec![[2; 32], [3; 32]])),
            Write::Synced(SyncedRecord {
                device_id: "bob".into(),
                group_id: "g1".into(),
                last_synced: 7,
            }),
        ])
        .unwrap();
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(
        store.held_of_group("g1").unwrap(),
        [held(vec![[2; 32], [3; 32]])]
    );
    assert!(store.held_of_group("g2").unwrap().is_empty());
    assert_eq!(store.synced().unwrap()[0].last_synced, 7);
}
