//! A small growable bit set over dense op indices, used for sets of ops (an op's ancestors
//! while it is judged, a revocation's relatives while the log is resolved).

/// A set of small integers (dense indices into the log's entries).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct BitSet {
    words: Vec<u64>,
}

impl BitSet {
    /// Adds `index` to the set.
    pub(crate) fn insert(&mut self, index: usize) {
        let word = index / 64;
        if word >= self.words.len() {
            self.words.resize(word + 1, 0);
        }
        self.words[word] |= 1 << (index % 64);
    }

    /// Whether `index` is in the set.
    pub(crate) fn contains(&self, index: usize) -> bool {
        self.words
            .get(index / 64)
            .is_some_and(|word| word & (1 << (index % 64)) != 0)
    }

    /// The number of elements.
    pub(crate) fn count(&self) -> usize {
        self.words
            .iter()
            .map(|word| word.count_ones() as usize)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::BitSet;

    #[test]
    fn insert_contains_and_count_agree() {
        let mut a = BitSet::default();
        a.insert(3);
        a.insert(130);
        a.insert(64);
        a.insert(3);
        assert!(a.contains(3) && a.contains(64) && a.contains(130));
        assert!(!a.contains(4) && !a.contains(10_000));
        assert_eq!(a.count(), 3);
    }
}
