//! Merging the entries of one table read from several files (the built-in one, then each
//! `--rules DIR`'s), by id.

use super::files::{self, RuleFile};
use crate::error::Result;

/// An entry with an id that a later file can replace.
pub(super) trait Identified {
    fn id(&self) -> &str;
}

/// The entries of one table from every file read, each with the file it came from.
pub(super) struct Merged<'a, E> {
    pub(super) items: Vec<(&'a RuleFile, E)>,
    files_read: usize,
    /// How many entries new in later files sit before the first file's.
    front: usize,
}

impl<E> Default for Merged<'_, E> {
    fn default() -> Self {
        Merged {
            items: Vec::new(),
            files_read: 0,
            front: 0,
        }
    }
}

impl<'a, E: Identified> Merged<'a, E> {
    /// The first file gives the order; a later file's entry replaces the one with its id in
    /// place, and its new entries go before the first file's (tried first). One id twice in
    /// one file is an error.
    pub(super) fn add(&mut self, file: &'a RuleFile, entries: Vec<E>) -> Result<()> {
        for (i, entry) in entries.iter().enumerate() {
            if entries[..i].iter().any(|e| e.id() == entry.id()) {
                return Err(files::field_error(file, entry.id(), "id", "duplicate id"));
            }
        }
        for entry in entries {
            match self.items.iter().position(|(_, e)| e.id() == entry.id()) {
                Some(at) => self.items[at] = (file, entry),
                None if self.files_read == 0 => self.items.push((file, entry)),
                None => {
                    self.items.insert(self.front, (file, entry));
                    self.front += 1;
                }
            }
        }
        self.files_read += 1;
        Ok(())
    }
}
