//! The program a loader context is for (the python): its real file, its headers and the
//! loader its PT_INTERP names, read before anyone asks that loader about itself.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::elf::{self, ElfError, ElfSummary};

#[derive(Debug, Clone)]
pub struct Program {
    /// The file symlinks lead to: the one the kernel maps.
    pub real: PathBuf,
    pub summary: ElfSummary,
    /// PT_INTERP as written.
    pub interpreter: PathBuf,
}

#[derive(Debug)]
pub enum ProgramError {
    /// The path given does not lead to a file.
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The real file is no readable ELF file.
    Elf { real: PathBuf, error: ElfError },
    /// A static executable, or a library.
    NoInterpreter { real: PathBuf },
}

impl Program {
    /// Follow symlinks to the real ELF and read its headers and PT_INTERP.
    pub fn read(python: &Path) -> Result<Program, ProgramError> {
        let real = std::fs::canonicalize(python).map_err(|source| ProgramError::Io {
            path: python.to_path_buf(),
            source,
        })?;
        let summary = match elf::read_summary(&real) {
            Ok(s) => s,
            Err(error) => return Err(ProgramError::Elf { real, error }),
        };
        let Some(interp) = summary.interpreter.clone() else {
            return Err(ProgramError::NoInterpreter { real });
        };
        Ok(Program {
            real,
            summary,
            interpreter: PathBuf::from(interp),
        })
    }
}

impl fmt::Display for ProgramError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProgramError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            ProgramError::Elf { real, error } => write!(f, "{}: {error}", real.display()),
            ProgramError::NoInterpreter { real } => write!(
                f,
                "{}: no PT_INTERP (a static executable or not a program)",
                real.display()
            ),
        }
    }
}

impl std::error::Error for ProgramError {}
