//! The data both systems work on: a group's documents made by a real Mutual node, then
//! exported as plain Automerge files for automerge-repo, so that both sync the very same
//! changes.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context as _, Result};
use mutual_auth::GroupId;
use mutual_docs::{DocId, Kind, assembly};
use mutual_node::Node;
use tempfile::TempDir;

/// A group of assemblies whose minutes were typed a word per change, kept in the data
/// directory of its founder (a template: scenarios serve copies of it).
#[derive(Debug)]
pub(crate) struct Dataset {
    pub(crate) dir: TempDir,
    pub(crate) group: GroupId,
    /// The heads of every document of the group, index included, as hex.
    pub(crate) heads: BTreeMap<String, Vec<String>>,
    /// The size of the documents as Automerge saves them (the data's size on disk).
    pub(crate) saved_bytes: u64,
    /// Every document of the group as an Automerge file, `<doc id>.automerge`.
    pub(crate) automerge: TempDir,
}

impl Dataset {
    /// `docs` assemblies of `changes` changes each, founded by "Alice".
    pub(crate) fn assemblies(docs: usize, changes: usize) -> Result<Dataset> {
        let dir = tempfile::tempdir()?;
        let mut node = Node::open(dir.path())?;
        node.init("Alice")?;
        let group = node.create_group("Bench co-op")?;
        for i in 0..docs {
            let doc = node.create_doc(&group, Kind::Assembly, &format!("Assembly {i}"))?;
            type_minutes(&mut node, &doc, 0, changes)?;
        }
        let automerge = tempfile::tempdir()?;
        let mut heads = BTreeMap::new();
        let mut saved_bytes = 0;
        node.load_all()?;
        let engine = node.engine()?;
        for doc in engine.docs_of(&group) {
            let mut am = engine.doc(&doc).context("a document is gone")?.clone();
            let saved = am.save();
            saved_bytes += saved.len() as u64;
            std::fs::write(automerge.path().join(format!("{doc}.automerge")), &saved)?;
            heads.insert(doc.to_string(), hex_heads(&am.get_heads()));
        }
        Ok(Dataset {
            dir,
            group,
            heads,
            saved_bytes,
            automerge,
        })
    }

    /// A copy of the founder's data directory in `to` (which must not exist).
    pub(crate) fn copy_to(&self, to: &Path) -> Result<()> {
        copy_dir(self.dir.path(), to)
    }

    /// How many documents of `heads` (doc id → hex heads) differ from the dataset's, or
    /// are missing.
    pub(crate) fn missing(&self, heads: &BTreeMap<String, Vec<String>>) -> usize {
        self.heads
            .iter()
            .filter(|(doc, want)| heads.get(*doc).map(|h| sorted(h)) != Some(sorted(want)))
            .count()
    }

    /// The heads of this dataset's group as the node in `dir` holds it.
    pub(crate) fn heads_in(&self, dir: &Path) -> Result<BTreeMap<String, Vec<String>>> {
        let mut node = Node::open(dir)?;
        node.load_all()?;
        let engine = node.engine()?;
        Ok(engine
            .docs_of(&self.group)
            .into_iter()
            .filter_map(|doc| {
                let heads = engine.doc_heads(&doc)?.to_vec();
                Some((doc.to_string(), hex_heads(&heads)))
            })
            .collect())
    }
}

/// Types words `from..to` into a document's minutes, one change per word.
pub(crate) fn type_minutes(node: &mut Node, doc: &DocId, from: usize, to: usize) -> Result<()> {
    node.edit(doc, Kind::Assembly, |d, stamp| {
        let mut text: String = (0..from).map(word).collect();
        for i in from..to {
            text.push_str(&word(i));
            assembly::set_minutes(d, stamp, &text)?;
        }
        Ok(())
    })?;
    Ok(())
}

/// The `i`th word typed.
pub(crate) fn word(i: usize) -> String {
    format!("w{i} ")
}

fn hex_heads(heads: &[automerge::ChangeHash]) -> Vec<String> {
    heads.iter().map(ToString::to_string).collect()
}

fn sorted(heads: &[String]) -> Vec<String> {
    let mut heads = heads.to_vec();
    heads.sort();
    heads
}

/// Copies a directory's regular files and subdirectories (a node's data directory).
pub(crate) fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// The bytes a node's data directory holds, less the pages on SQLite's free list: the next
/// write reuses those, so counting them would measure where the page allocator happened to
/// stand (one 4 KiB page is 0.4 B per change over 10 000 changes), not what was stored.
pub(crate) fn data_size(dir: &Path) -> Result<u64> {
    let database = dir.join(mutual_node::DATABASE_FILE);
    let connection = rusqlite::Connection::open_with_flags(
        &database,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .with_context(|| format!("opening {}", database.display()))?;
    let free: i64 = connection.query_row(
        "SELECT freelist_count * page_size FROM pragma_freelist_count, pragma_page_size",
        [],
        |row| row.get(0),
    )?;
    Ok(dir_size(dir)? - u64::try_from(free)?)
}

/// The bytes of every file under `dir`.
pub(crate) fn dir_size(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() {
            dir_size(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(total)
}
