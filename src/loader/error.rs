//! Why the resolver could not map a file, as a type. Its text is the loader's (or, for the
//! file given itself, the one this tool has always printed), and that text is what the JSON
//! contract carries in `error`; code that needs to tell the cases apart matches the variant.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::elf::{ElfClass, ElfError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolveError {
    /// The file given could not be opened; `kind` for code, `message` as the OS said it.
    CannotOpen {
        kind: std::io::ErrorKind,
        message: String,
    },
    /// Of the other ELF class: the file given, or the only files of a needed name found.
    WrongClass(ElfClass),
    /// The file given is built for another machine.
    WrongMachine(u16),
    /// The file given has no ELF magic.
    NotElf,
    /// The file given has the ELF magic but a header the loader refuses.
    BadHeader(&'static str),
    /// The file given passed the header check but could not be read further.
    Unreadable(ElfError),
    /// A candidate for a needed name has a header the loader refuses: the search stopped.
    BadCandidate { path: String, reason: &'static str },
    /// A needed path whose `$LIB`/`$PLATFORM` has no value here.
    EmptyDst,
    /// A library found at this depth of the tree: its own needs are not listed.
    TreeTooDeep(usize),
    /// Read back from JSON: only the text is known.
    Reported(String),
}

impl ResolveError {
    pub fn cannot_open(e: &std::io::Error) -> ResolveError {
        ResolveError::CannotOpen {
            kind: e.kind(),
            message: e.to_string(),
        }
    }

    /// A summary that failed: "not an ELF file" is the same verdict as the missing magic.
    pub fn unreadable(e: &ElfError) -> ResolveError {
        match e {
            ElfError::NotElf => ResolveError::NotElf,
            e => ResolveError::Unreadable(e.clone()),
        }
    }

    /// The loader refuses the file given for what it is built for (class or machine): a
    /// finding about an ELF file, not a bad input.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            ResolveError::WrongClass(_) | ResolveError::WrongMachine(_)
        )
    }

    /// The file given is no input for a loader at all: it cannot be opened, or is no ELF file.
    pub fn is_unusable_input(&self) -> bool {
        matches!(self, ResolveError::CannotOpen { .. } | ResolveError::NotElf)
    }
}

impl fmt::Display for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResolveError::CannotOpen { message, .. } => write!(f, "cannot open: {message}"),
            ResolveError::WrongClass(c) => write!(f, "wrong ELF class: {}", c.loader_name()),
            ResolveError::WrongMachine(m) => write!(f, "wrong machine {m} for this loader"),
            ResolveError::NotElf => f.write_str("not an ELF file"),
            ResolveError::BadHeader(msg) => f.write_str(msg),
            ResolveError::Unreadable(e) => e.fmt(f),
            ResolveError::BadCandidate { path, reason } => write!(f, "{path}: {reason}"),
            ResolveError::EmptyDst => f.write_str("empty dynamic string token substitution"),
            ResolveError::TreeTooDeep(levels) => write!(
                f,
                "its dependencies are not listed: the tree is deeper than {levels} levels"
            ),
            ResolveError::Reported(text) => f.write_str(text),
        }
    }
}

impl std::error::Error for ResolveError {}

impl Serialize for ResolveError {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ResolveError {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(ResolveError::Reported)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_is_the_loaders() {
        let cases = [
            (
                ResolveError::WrongClass(ElfClass::Elf32),
                "wrong ELF class: ELFCLASS32",
            ),
            (
                ResolveError::WrongMachine(183),
                "wrong machine 183 for this loader",
            ),
            (ResolveError::NotElf, "not an ELF file"),
            (
                ResolveError::unreadable(&ElfError::NotElf),
                "not an ELF file",
            ),
            (
                ResolveError::BadCandidate {
                    path: "/x/liba.so".into(),
                    reason: "file too short",
                },
                "/x/liba.so: file too short",
            ),
            (
                ResolveError::EmptyDst,
                "empty dynamic string token substitution",
            ),
        ];
        for (error, text) in cases {
            assert_eq!(error.to_string(), text);
            assert_eq!(serde_json::to_value(&error).unwrap(), text);
        }
        let gone = std::io::Error::from(std::io::ErrorKind::NotFound);
        assert!(
            ResolveError::cannot_open(&gone)
                .to_string()
                .starts_with("cannot open: ")
        );
    }
}
