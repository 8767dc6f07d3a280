//! ELF files read into small owned summaries (goblin parses the headers; bytes come by
//! `pread`, not a memory map: see [`window`]).
//!
//! This module owns three questions about a file: would ld.so's `open_verify` accept it
//! ([`check_header`]), what program interpreter does it ask for ([`read_interpreter`]), and
//! what does its dynamic section say ([`ElfSummary`]). It reads only the ELF header, the
//! program headers, the dynamic segment, its string table and the version tables they point
//! to, each region with one `pread` into a window that is then parsed in place, so a 200 MB
//! library costs a few reads. It does not search for libraries (that is `loader/`) and never
//! panics on a malformed file: errors are data, and every offset the file gives is added with
//! a check, so a value that would wrap is an error, in release builds too.
//!
//! A leaf: it uses nothing in the crate but [`crate::fsio`].

mod dynamic;
mod header;
mod strings;
mod summary;
mod versions;
mod window;

use std::fs::File;
use std::io::Read;
use std::path::Path;

use goblin::elf::header::ELFMAG;

pub use header::{EM_386, EM_AARCH64, EM_X86_64, ElfClass, HeaderCheck, Target, check_header};
pub use strings::lossy;
pub use summary::ElfSummary;
pub use versions::{NeededVersion, VersionNeed};

use crate::fsio::open_no_fifo;
use header::Headers;
use window::{FileSource, HEAD, Source, Window};

/// Why a file could not be summarised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ElfError {
    Io(String),
    NotElf,
    Malformed(String),
}

impl std::fmt::Display for ElfError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ElfError::Io(e) => write!(f, "cannot read: {e}"),
            ElfError::NotElf => f.write_str("not an ELF file"),
            ElfError::Malformed(m) => write!(f, "malformed ELF: {m}"),
        }
    }
}

impl std::error::Error for ElfError {}

fn malformed(e: impl std::fmt::Display) -> ElfError {
    ElfError::Malformed(e.to_string())
}

/// Read the first bytes of a file for [`check_header`] (ld.so reads a fixed-size buffer too).
pub fn read_head(path: &Path) -> std::io::Result<Vec<u8>> {
    let (mut file, _) = open_no_fifo(path)?;
    let mut buf = vec![0u8; 64];
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    buf.truncate(filled);
    Ok(buf)
}

/// A regular file, opened without blocking (a FIFO or socket is refused), and its length.
fn open_regular(path: &Path) -> Result<(File, u64), ElfError> {
    let (file, meta) = open_no_fifo(path).map_err(|e| ElfError::Io(e.to_string()))?;
    if !meta.file_type().is_file() {
        return Err(ElfError::Io("not a regular file".into()));
    }
    Ok((file, meta.len()))
}

/// Summarise a file, reading only the blocks that hold headers and dynamic data (a few
/// `pread`s; cheaper than mapping and faulting in pages of large libraries).
pub fn read_summary(path: &Path) -> Result<ElfSummary, ElfError> {
    let (file, len) = open_regular(path)?;
    summary::summarise(&FileSource::new(&file, len))
}

/// Summarise an ELF image held in memory.
pub fn parse_summary(bytes: &[u8]) -> Result<ElfSummary, ElfError> {
    summary::summarise(&bytes)
}

/// The program interpreter (PT_INTERP) a file asks for, `None` when it has none (a static
/// program, most shared libraries). Reads the headers and the interpreter's bytes only: a
/// read or two, whatever the file's size.
pub fn read_interpreter(path: &Path) -> Result<Option<String>, ElfError> {
    let (file, len) = open_regular(path)?;
    interpreter_of(&FileSource::new(&file, len))
}

/// [`read_interpreter`] of an image held in memory.
pub fn parse_interpreter(bytes: &[u8]) -> Result<Option<String>, ElfError> {
    interpreter_of(&bytes)
}

fn interpreter_of(src: &dyn Source) -> Result<Option<String>, ElfError> {
    let head = Window::load(src, 0, HEAD);
    let headers = Headers::parse(&head)?;
    Ok(dynamic::interpreter(&head, &headers.phdrs))
}

/// A regular file opened for the loader, not read yet: its (dev, inode) tells whether the
/// same file was examined before under another path.
#[derive(Debug)]
pub struct LoaderFile {
    file: File,
    meta: std::fs::Metadata,
}

/// What reading a file told: what `open_verify` would say of its header, and its summary.
#[derive(Debug)]
pub struct Examined {
    pub check: HeaderCheck,
    /// The file starts with the ELF magic (for "not an ELF file" rather than the check's).
    pub elf_magic: bool,
    pub summary: Result<ElfSummary, ElfError>,
}

/// Open a file for [`LoaderFile::examine`]. `Ok(None)` when it is not a regular file (a
/// directory, a device): callers keep their own path for those, whose errors come from
/// reading.
pub fn open_for_loader(path: &Path) -> std::io::Result<Option<LoaderFile>> {
    let (file, meta) = open_no_fifo(path)?;
    Ok(meta
        .file_type()
        .is_file()
        .then_some(LoaderFile { file, meta }))
}

impl LoaderFile {
    pub fn id(&self) -> (u64, u64) {
        use std::os::unix::fs::MetadataExt;
        (self.meta.dev(), self.meta.ino())
    }

    /// [`check_header`] and the summary together, from one read of the head and a few more.
    pub fn examine(&self, target: Target) -> Examined {
        let src = FileSource::new(&self.file, self.meta.len());
        let head = Window::load(&src, 0, HEAD);
        let first = &head.bytes[..head.bytes.len().min(64)];
        let check = check_header(first, target);
        let elf_magic = first.starts_with(ELFMAG);
        Examined {
            check,
            elf_magic,
            summary: summary::summarise_from(&src, head),
        }
    }
}

#[cfg(test)]
mod tests;
