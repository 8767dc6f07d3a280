//! The one ELF fact `env` needs about an interpreter before running it: the program
//! interpreter (PT_INTERP) an executable asks the kernel to start it with, read by
//! [`crate::elf`] from the headers alone. Private to `env`; a file that is not a readable ELF
//! gives a clean answer, never a panic.

use std::path::Path;

use crate::elf::{self, ElfError};

/// What the PT_INTERP of a file says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Interp {
    /// The loader path, as written in the file.
    Path(String),
    /// An ELF without PT_INTERP (static, or a shared library).
    None,
    /// Not an ELF file (a script, text, garbage).
    NotElf,
    /// The file could not be read.
    Unreadable(String),
}

pub(crate) fn read(path: &Path) -> Interp {
    of_result(elf::read_interpreter(path))
}

#[cfg(test)]
fn of_bytes(bytes: &[u8]) -> Interp {
    of_result(elf::parse_interpreter(bytes))
}

fn of_result(result: Result<Option<String>, ElfError>) -> Interp {
    match result {
        Ok(Some(loader)) => Interp::Path(loader),
        Ok(None) => Interp::None,
        Err(ElfError::NotElf) => Interp::NotElf,
        Err(ElfError::Io(e)) => Interp::Unreadable(e),
        Err(e @ ElfError::Malformed(_)) => Interp::Unreadable(e.to_string()),
    }
}

impl Interp {
    pub(crate) fn path(&self) -> Option<&str> {
        match self {
            Interp::Path(p) => Some(p),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_and_truncated_files_are_not_panics() {
        assert_eq!(of_bytes(b"#!/bin/sh\n"), Interp::NotElf);
        assert!(matches!(
            of_bytes(b"\x7fELF\x02\x01\x01"),
            Interp::Unreadable(_)
        ));
        assert!(matches!(
            read(Path::new("/nonexistent/python")),
            Interp::Unreadable(_)
        ));
    }

    #[test]
    fn this_machines_sh_has_a_loader() {
        let interp = read(Path::new("/bin/sh"));
        assert!(
            interp.path().is_some_and(|p| p.contains("ld-")),
            "{interp:?}"
        );
    }
}
