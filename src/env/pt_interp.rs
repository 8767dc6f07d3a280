//! The one ELF fact `env` needs before the richer reader in `crate::elf` is available: the
//! program interpreter (PT_INTERP) an executable asks the kernel to start it with. Private to
//! `env`; a file that is not a readable ELF gives a clean answer, never a panic.

use std::path::Path;

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

/// Files bigger than this are not read whole (a python is well under it, even a static one).
const READ_LIMIT: u64 = 512 * 1024 * 1024;

pub(crate) fn read(path: &Path) -> Interp {
    match std::fs::metadata(path) {
        Ok(m) if m.len() > READ_LIMIT => return Interp::Unreadable("file too large".into()),
        Ok(_) => {}
        Err(e) => return Interp::Unreadable(e.to_string()),
    }
    match std::fs::read(path) {
        Ok(bytes) => of_bytes(&bytes),
        Err(e) => Interp::Unreadable(e.to_string()),
    }
}

pub(crate) fn of_bytes(bytes: &[u8]) -> Interp {
    if !bytes.starts_with(b"\x7fELF") {
        return Interp::NotElf;
    }
    match goblin::elf::Elf::parse(bytes) {
        Ok(elf) => elf
            .interpreter
            .map_or(Interp::None, |s| Interp::Path(s.to_string())),
        Err(e) => Interp::Unreadable(format!("malformed ELF: {e}")),
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
