//! Typed, path-tracking reads of untrusted Automerge content.
//!
//! Every read model is built through [`Node`], so validating a document and reading it are one
//! code path: whatever a peer wrote, a mismatch becomes a [`SchemaError`] naming the path.

use std::str::FromStr;

use automerge::{AutoCommit, ObjId, ObjType, ReadDoc, ScalarValue, Value};
use serde::{Deserialize, Serialize};

use crate::SchemaError;
use crate::authors::Authors;
use crate::rank;

/// A map object in a document, with the path that leads to it.
#[derive(Debug, Clone)]
pub(crate) struct Node<'a> {
    doc: &'a AutoCommit,
    /// Whose each device is, when known: then [`Node::author`] reads the signer, not the
    /// claim.
    authors: Option<&'a Authors>,
    /// The map's object id, for writes.
    pub(crate) id: ObjId,
    /// `/`-separated keys from the root; empty for the root.
    pub(crate) path: String,
}

/// How a value is named in error messages ("expected a string, found an integer").
fn describe(value: &Value<'_>) -> &'static str {
    match value {
        Value::Object(ObjType::Map) => "a map",
        Value::Object(ObjType::Table) => "a table",
        Value::Object(ObjType::List) => "a list",
        Value::Object(ObjType::Text) => "a text object",
        Value::Scalar(s) => match s.as_ref() {
            ScalarValue::Bytes(_) => "bytes",
            ScalarValue::Str(_) => "a string",
            ScalarValue::Int(_) | ScalarValue::Uint(_) => "an integer",
            ScalarValue::F64(_) => "a floating-point number",
            ScalarValue::Counter(_) => "a counter",
            ScalarValue::Timestamp(_) => "a timestamp",
            ScalarValue::Boolean(_) => "a boolean",
            ScalarValue::Unknown { .. } => "a value of an unknown type",
            ScalarValue::Null => "null",
        },
    }
}

impl<'a> Node<'a> {
    /// The document's root map.
    pub(crate) fn root(doc: &'a AutoCommit) -> Node<'a> {
        Node::root_by(doc, None)
    }

    /// The document's root map, reading authorship from the signatures when `authors` is
    /// given.
    pub(crate) fn root_by(doc: &'a AutoCommit, authors: Option<&'a Authors>) -> Node<'a> {
        Node {
            doc,
            authors,
            id: automerge::ROOT,
            path: String::new(),
        }
    }

    /// The path of `key` inside this map.
    pub(crate) fn at(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}/{key}", self.path)
        }
    }

    /// An error about `key` in this map.
    pub(crate) fn error(&self, key: &str, problem: impl Into<String>) -> SchemaError {
        SchemaError::new(self.at(key), problem)
    }

    fn value(&self, key: &str) -> Result<Option<(Value<'a>, ObjId)>, SchemaError> {
        self.doc
            .get(&self.id, key)
            .map_err(|e| self.error(key, format!("cannot be read: {e}")))
    }

    fn required(&self, key: &str) -> Result<(Value<'a>, ObjId), SchemaError> {
        self.value(key)?.ok_or_else(|| self.error(key, "missing"))
    }

    fn mismatch(&self, key: &str, expected: &str, found: &Value<'_>) -> SchemaError {
        self.error(
            key,
            format!("expected {expected}, found {}", describe(found)),
        )
    }

    /// The map at `key`.
    pub(crate) fn map(&self, key: &str) -> Result<Node<'a>, SchemaError> {
        match self.required(key)? {
            (Value::Object(ObjType::Map), id) => Ok(Node {
                doc: self.doc,
                authors: self.authors,
                id,
                path: self.at(key),
            }),
            (other, _) => Err(self.mismatch(key, "a map", &other)),
        }
    }

    /// The map at `key`, or `None` if the key is absent or null.
    pub(crate) fn opt_map(&self, key: &str) -> Result<Option<Node<'a>>, SchemaError> {
        match self.value(key)? {
            None => Ok(None),
            Some((Value::Scalar(s), _)) if s.is_null() => Ok(None),
            Some(_) => self.map(key).map(Some),
        }
    }

    /// The id of the text object at `key`, for edits.
    pub(crate) fn text_id(&self, key: &str) -> Result<ObjId, SchemaError> {
        match self.required(key)? {
            (Value::Object(ObjType::Text), id) => Ok(id),
            (other, _) => Err(self.mismatch(key, "a text object", &other)),
        }
    }

    /// The content of the text object at `key`.
    pub(crate) fn text(&self, key: &str) -> Result<String, SchemaError> {
        let id = self.text_id(key)?;
        self.doc
            .text(&id)
            .map_err(|e| self.error(key, format!("cannot be read: {e}")))
    }

    /// The string at `key`.
    pub(crate) fn string(&self, key: &str) -> Result<String, SchemaError> {
        let (value, _) = self.required(key)?;
        match value.as_str() {
            Some(s) => Ok(s.to_owned()),
            None => Err(self.mismatch(key, "a string", &value)),
        }
    }

    /// The member who wrote the value at `key`, which claims to name them (`created_by`, a
    /// comment's author, who decided): the member whose device signed the write when the
    /// group's devices are known, whatever the claim says; otherwise the claim.
    pub(crate) fn author(&self, key: &str) -> Result<String, SchemaError> {
        let claim = self.string(key)?;
        let signer = self.authors.and_then(|authors| {
            let (_, write) = self.doc.get(&self.id, key).ok().flatten()?;
            authors.writer_of(&write)
        });
        Ok(signer.map_or(claim, str::to_owned))
    }

    /// The member who wrote the value at `key`, as [`Node::author`], or `None` if the key
    /// is absent or null.
    pub(crate) fn opt_author(&self, key: &str) -> Result<Option<String>, SchemaError> {
        match self.opt_string(key)? {
            None => Ok(None),
            Some(_) => self.author(key).map(Some),
        }
    }

    /// The string at `key`, or `None` if the key is absent or null.
    pub(crate) fn opt_string(&self, key: &str) -> Result<Option<String>, SchemaError> {
        match self.value(key)? {
            None => Ok(None),
            Some((Value::Scalar(s), _)) if s.is_null() => Ok(None),
            Some(_) => self.string(key).map(Some),
        }
    }

    /// The boolean at `key`.
    pub(crate) fn boolean(&self, key: &str) -> Result<bool, SchemaError> {
        match self.required(key)? {
            (Value::Scalar(s), _) => match s.as_ref() {
                ScalarValue::Boolean(b) => Ok(*b),
                _ => Err(self.mismatch(key, "a boolean", &Value::Scalar(s))),
            },
            (other, _) => Err(self.mismatch(key, "a boolean", &other)),
        }
    }

    /// The integer at `key`; signed, unsigned and timestamp values are all accepted.
    pub(crate) fn int(&self, key: &str) -> Result<i64, SchemaError> {
        match self.required(key)? {
            (Value::Scalar(s), _) => match s.as_ref() {
                ScalarValue::Int(i) | ScalarValue::Timestamp(i) => Ok(*i),
                ScalarValue::Uint(u) => {
                    i64::try_from(*u).map_err(|_| self.error(key, format!("{u} is too large")))
                }
                _ => Err(self.mismatch(key, "an integer", &Value::Scalar(s))),
            },
            (other, _) => Err(self.mismatch(key, "an integer", &other)),
        }
    }

    /// The integer at `key`, or `None` if the key is absent or null.
    pub(crate) fn opt_int(&self, key: &str) -> Result<Option<i64>, SchemaError> {
        match self.value(key)? {
            None => Ok(None),
            Some((Value::Scalar(s), _)) if s.is_null() => Ok(None),
            Some(_) => self.int(key).map(Some),
        }
    }

    /// The non-negative integer at `key`.
    pub(crate) fn uint(&self, key: &str) -> Result<u64, SchemaError> {
        let i = self.int(key)?;
        u64::try_from(i)
            .map_err(|_| self.error(key, format!("expected a non-negative integer, found {i}")))
    }

    /// The integer at `key` as a `u32`, or `None` if the key is absent or null.
    pub(crate) fn opt_u32(&self, key: &str) -> Result<Option<u32>, SchemaError> {
        match self.value(key)? {
            None => Ok(None),
            Some((Value::Scalar(s), _)) if s.is_null() => Ok(None),
            Some(_) => {
                let u = self.uint(key)?;
                u32::try_from(u)
                    .map(Some)
                    .map_err(|_| self.error(key, format!("{u} is too large")))
            }
        }
    }

    /// The string at `key`, parsed as one of a fixed set of words.
    pub(crate) fn word<T: FromStr>(&self, key: &str, what: &str) -> Result<T, SchemaError> {
        let s = self.string(key)?;
        s.parse()
            .map_err(|_| self.error(key, format!("“{s}” is not a known {what}")))
    }

    /// The rank at `key`, checked to be well-formed.
    pub(crate) fn rank(&self, key: &str) -> Result<String, SchemaError> {
        let r = self.string(key)?;
        if rank::is_valid(&r) {
            Ok(r)
        } else {
            Err(self.error(key, format!("“{r}” is not a valid rank")))
        }
    }

    /// This map's keys, in Automerge's (sorted) order.
    pub(crate) fn keys(&self) -> Vec<String> {
        self.doc.keys(&self.id).collect()
    }

    /// Every entry of this map that is a map (an item of a collection); the others are
    /// left out here, and reported by [`Node::read_each`].
    pub(crate) fn children(&self) -> Result<Vec<(String, Node<'a>)>, SchemaError> {
        Ok(self
            .keys()
            .into_iter()
            .filter_map(|k| self.map(&k).ok().map(|child| (k, child)))
            .collect())
    }

    /// Reads every entry of this collection with `read`. An entry that is not a map, or
    /// that `read` refuses, is set aside (reported in `aside`) instead of making the whole
    /// document unreadable: one malformed change, a hostile member's or a buggy peer's,
    /// costs only the entries it touched.
    pub(crate) fn read_each<T>(
        &self,
        aside: &mut Vec<SetAside>,
        mut read: impl FnMut(String, &Node<'a>) -> Result<T, SchemaError>,
    ) -> Vec<T> {
        let mut read_ok = Vec::new();
        for key in self.keys() {
            match self.map(&key).and_then(|child| read(key, &child)) {
                Ok(item) => read_ok.push(item),
                Err(e) => aside.push(SetAside::from(e)),
            }
        }
        read_ok
    }

    /// Reads every entry of the collection at `key` as [`Node::read_each`] does. A
    /// collection that is not a map is set aside whole (nothing of it is read) rather than
    /// making the document unreadable.
    pub(crate) fn read_each_at<T>(
        &self,
        key: &str,
        aside: &mut Vec<SetAside>,
        read: impl FnMut(String, &Node<'a>) -> Result<T, SchemaError>,
    ) -> Vec<T> {
        match self.map(key) {
            Ok(collection) => collection.read_each(aside, read),
            Err(e) => {
                aside.push(e.into());
                Vec::new()
            }
        }
    }

    /// The keys of a map used as a set: every value must be the boolean `true`.
    pub(crate) fn set(&self) -> Result<Vec<String>, SchemaError> {
        let mut out = Vec::new();
        for k in self.keys() {
            if !self.boolean(&k)? {
                return Err(self.error(&k, "expected true, found false"));
            }
            out.push(k);
        }
        Ok(out)
    }

    /// The keys of a map used as a set, where a malformed entry is set aside (reported in
    /// `aside`) rather than refused: for a set that is a field of the document itself.
    pub(crate) fn set_or_aside(&self, aside: &mut Vec<SetAside>) -> Vec<String> {
        let mut out = Vec::new();
        for k in self.keys() {
            match self.boolean(&k) {
                Ok(true) => out.push(k),
                Ok(false) => aside.push(self.error(&k, "expected true, found false").into()),
                Err(e) => aside.push(e.into()),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use automerge::transaction::Transactable;

    use super::*;

    #[test]
    fn errors_name_the_path_and_the_mismatch() {
        let mut doc = AutoCommit::new();
        let cards = doc
            .put_object(automerge::ROOT, "cards", ObjType::Map)
            .unwrap();
        let card = doc.put_object(&cards, "x7k2", ObjType::Map).unwrap();
        doc.put(&card, "column", 3_i64).unwrap();
        doc.put(&card, "flag", "yes").unwrap();
        doc.put(&card, "big", u64::MAX).unwrap();
        let root = Node::root(&doc);
        let card = root.map("cards").unwrap().map("x7k2").unwrap();
        assert_eq!(
            card.string("column").unwrap_err().to_string(),
            "cards/x7k2/column: expected a string, found an integer"
        );
        assert_eq!(
            card.string("nope").unwrap_err().to_string(),
            "cards/x7k2/nope: missing"
        );
        assert_eq!(
            card.boolean("flag").unwrap_err().to_string(),
            "cards/x7k2/flag: expected a boolean, found a string"
        );
        assert!(card.int("big").is_err());
        assert_eq!(card.opt_string("absent").unwrap(), None);
        assert_eq!(
            root.map("cards")
                .unwrap()
                .text("x7k2")
                .unwrap_err()
                .to_string(),
            "cards/x7k2: expected a text object, found a map"
        );
    }
}

/// An entry of a document that does not match the schema, left out of the read model so
/// that the rest stays readable and editable. The document's history shows who wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SetAside {
    /// Where it is, `/`-separated from the document's root (e.g. `cards/x7k2…/title`).
    pub path: String,
    /// What is wrong there.
    pub problem: String,
}

/// What `read` gave, or the type's empty value with the problem set aside (reported in
/// `aside`): for a field of the document itself (its minutes, its facilitator), which one
/// malformed change should cost, not the whole document. The header stays strict.
pub(crate) fn or_aside<T: Default>(read: Result<T, SchemaError>, aside: &mut Vec<SetAside>) -> T {
    read.unwrap_or_else(|e| {
        aside.push(e.into());
        T::default()
    })
}

impl From<SchemaError> for SetAside {
    fn from(e: SchemaError) -> SetAside {
        SetAside {
            path: e.path().to_owned(),
            problem: e.problem().to_owned(),
        }
    }
}
