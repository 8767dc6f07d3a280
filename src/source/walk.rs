//! Walking a tree for ELF files, by magic (the first four bytes), never by name: a vendored
//! `libfoo-1a2b3c.so.1.2` in `*.libs/` counts as much as `_ext.cpython-312-x86_64-linux-gnu.so`.
//!
//! Symbolic links are not followed at all, neither to directories (no loops, no escaping the
//! tree, no `lib64 -> lib` duplicates) nor to files (the target is met by its real name when it
//! lies in the tree). A directory that cannot be read is recorded and the walk goes on.
//!
//! `__pycache__` directories are not entered: CPython writes only bytecode there (PEP 3147),
//! and neither the import system nor the loader ever loads a library from one. A venv holds
//! hundreds of them (725 of the 1,734 directories of the benchmark venv). Nor are the files
//! of a `.dist-info` opened (metadata, by the wheel format), or files whose extension says
//! source, text or data ([`surely_not_elf`]).
//!
//! Directories are read with `getdents64` into one buffer and files opened relative to their
//! directory, so a 16,000-file venv costs a few syscalls per directory and three per file
//! looked at; every directory is a task of rayon's pool, and each ELF file is handed to the
//! caller as soon as it is found, so resolving overlaps walking.

use std::ffi::{CStr, OsStr};
use std::fs::File;
use std::io::Read;
use std::mem::MaybeUninit;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use rustix::fd::{AsFd, BorrowedFd};
use rustix::fs::{AtFlags, FileType, Mode, OFlags, RawDir};
use serde::{Deserialize, Serialize};

const ELF_MAGIC: [u8; 4] = [0x7f, b'E', b'L', b'F'];

/// The `getdents64` buffer: a directory of a few hundred entries in one call.
const DIR_BUFFER: usize = 32 * 1024;

/// What a walk found.
#[derive(Debug, Clone, Default)]
pub struct Walk {
    /// ELF files, sorted by path.
    pub elf_files: Vec<PathBuf>,
    /// `*.dist-info` directories met on the way (their RECORD maps files to distributions).
    pub dist_infos: Vec<PathBuf>,
    /// Regular files looked at.
    pub files_seen: usize,
    /// Symbolic links passed over.
    pub symlinks_skipped: usize,
    /// Directories or files that could not be read.
    pub errors: Vec<WalkError>,
}

/// A path the walk could not read, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalkError {
    pub path: String,
    pub message: String,
}

impl WalkError {
    pub fn new(path: &Path, error: impl std::fmt::Display) -> WalkError {
        WalkError {
            path: path.to_string_lossy().into_owned(),
            message: error.to_string(),
        }
    }
}

/// Walk `root` (a directory; its own symlinks resolved by the caller) and keep ELF files.
pub fn walk(root: &Path) -> Walk {
    walk_with(root, &|_| {})
}

/// What the walk hands to its caller as soon as it meets it.
#[derive(Debug, Clone, Copy)]
pub enum Found<'a> {
    ElfFile(&'a Path),
    DistInfo(&'a Path),
}

/// [`walk`], calling `found` with each ELF file and each `.dist-info` directory as soon as
/// it is met, from any thread of rayon's pool, each call a task of its own.
pub fn walk_with(root: &Path, found: &(dyn Fn(Found<'_>) + Sync)) -> Walk {
    let shared = Mutex::new(Walk::default());
    let metadata_only = is_dist_info(root);
    rayon::scope(|s| visit(s, root.to_path_buf(), metadata_only, &shared, found));
    let mut out = shared.into_inner().unwrap_or_else(PoisonError::into_inner);
    out.elf_files.sort();
    out.dist_infos.sort();
    out.errors.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// Read one directory; its subdirectories and what it holds become tasks of their own.
///
/// `metadata_only`: `dir` is, or lies in, a `.dist-info` (metadata, by the wheel format): its
/// files are not opened.
fn visit<'s>(
    scope: &rayon::Scope<'s>,
    dir: PathBuf,
    metadata_only: bool,
    shared: &'s Mutex<Walk>,
    found: &'s (dyn Fn(Found<'_>) + Sync),
) {
    let listing = read_dir(&dir, metadata_only);
    for sub in listing.subdirs {
        let metadata_only = metadata_only || is_dist_info(&sub);
        scope.spawn(move |s| visit(s, sub, metadata_only, shared, found));
    }
    for file in &listing.elf_files {
        let file = file.clone();
        scope.spawn(move |_| found(Found::ElfFile(&file)));
    }
    for dist_info in &listing.dist_infos {
        let dist_info = dist_info.clone();
        scope.spawn(move |_| found(Found::DistInfo(&dist_info)));
    }
    let mut walk = shared.lock().unwrap_or_else(PoisonError::into_inner);
    walk.elf_files.extend(listing.elf_files);
    walk.dist_infos.extend(listing.dist_infos);
    walk.files_seen += listing.files_seen;
    walk.symlinks_skipped += listing.symlinks_skipped;
    walk.errors.extend(listing.errors);
}

/// One directory's part of a walk.
#[derive(Default)]
struct DirListing {
    subdirs: Vec<PathBuf>,
    elf_files: Vec<PathBuf>,
    dist_infos: Vec<PathBuf>,
    files_seen: usize,
    symlinks_skipped: usize,
    errors: Vec<WalkError>,
}

fn read_dir(dir: &Path, metadata_only: bool) -> DirListing {
    let mut out = DirListing::default();
    // O_NOFOLLOW: a directory swapped for a symlink since it was listed is not followed.
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = match rustix::fs::open(dir, flags, Mode::empty()) {
        Ok(fd) => fd,
        Err(e) => {
            out.errors
                .push(WalkError::new(dir, std::io::Error::from(e)));
            return out;
        }
    };
    let mut buffer = vec![MaybeUninit::<u8>::uninit(); DIR_BUFFER];
    let mut entries = RawDir::new(fd.as_fd(), &mut buffer);
    while let Some(entry) = entries.next() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                out.errors
                    .push(WalkError::new(dir, std::io::Error::from(e)));
                break;
            }
        };
        let name = entry.file_name();
        if matches!(name.to_bytes(), b"." | b"..") {
            continue;
        }
        let path = dir.join(OsStr::from_bytes(name.to_bytes()));
        match kind_of(fd.as_fd(), name, entry.file_type()) {
            Ok(FileType::Symlink) => out.symlinks_skipped += 1,
            Ok(FileType::Directory) => {
                if name.to_bytes() == b"__pycache__" {
                    continue;
                }
                if is_dist_info(&path) {
                    out.dist_infos.push(path.clone());
                }
                out.subdirs.push(path);
            }
            Ok(FileType::RegularFile) => {
                out.files_seen += 1;
                if metadata_only || surely_not_elf(&path) {
                    continue;
                }
                match has_elf_magic_at(fd.as_fd(), name) {
                    Ok(true) => out.elf_files.push(path),
                    Ok(false) => {}
                    Err(e) => out.errors.push(WalkError::new(&path, e)),
                }
            }
            Ok(_) => {}
            Err(e) => out.errors.push(WalkError::new(&path, e)),
        }
    }
    out
}

fn is_dist_info(dir: &Path) -> bool {
    dir.extension().is_some_and(|e| e == "dist-info")
}

/// The entry's type from `getdents64`; a file system that does not say (DT_UNKNOWN) is
/// asked with `lstat`, so a symlink is still a symlink.
fn kind_of(dir: BorrowedFd<'_>, name: &CStr, reported: FileType) -> std::io::Result<FileType> {
    if reported != FileType::Unknown {
        return Ok(reported);
    }
    let stat = rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)?;
    Ok(FileType::from_raw_mode(stat.st_mode))
}

/// [`has_elf_magic`] for `name` in the open directory `dir`.
fn has_elf_magic_at(dir: BorrowedFd<'_>, name: &CStr) -> std::io::Result<bool> {
    // O_NONBLOCK: a FIFO swapped in since the listing does not block the walk.
    let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOFOLLOW | OFlags::NOCTTY;
    let file = File::from(rustix::fs::openat(
        dir,
        name,
        flags | OFlags::CLOEXEC,
        Mode::empty(),
    )?);
    read_magic(file)
}

/// Sources, text and data that packages ship in bulk (numpy: ~1,700 files, 22 ELF files;
/// scipy's test data: hundreds of `.mat` files; matplotlib's fonts and styles). No loader
/// cares about names, but no ELF file is ever given these: they are not opened, and every
/// other file, whatever its name, is judged by its first four bytes. Archives and Windows or
/// macOS binaries (`.a`, `.exe`, `.dll`, `.dylib`) are not ELF shared objects either.
const NOT_ELF_EXTENSIONS: &[&str] = &[
    "py", "pyi", "pyc", "pyx", "pxd", "pxi", "pyf", "h", "hpp", "c", "cc", "cpp", "f", "f90",
    "f95", "inc", "txt", "md", "rst", "json", "toml", "cfg", "ini", "in", "yaml", "yml", "csv",
    "tab", "xml", "xsl", "html", "js", "css", "svg", "png", "jpg", "jpeg", "gif", "ico", "pem",
    "mo", "po", "typed", "pth", "npy", "npz", "mat", "sav", "arff", "wav", "pkl", "pickle", "h5",
    "nc", "fits", "orc", "parquet", "feather", "afm", "ttf", "mplstyle", "pdf", "tpl", "tmpl",
    "template", "gz", "gzip", "bz2", "xz", "lzma", "zst", "zip", "a", "exe", "dll", "dylib",
];

pub fn surely_not_elf(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| NOT_ELF_EXTENSIONS.contains(&e))
}

/// True when the file starts with `\x7fELF`; reads four bytes and no more.
pub fn has_elf_magic(path: &Path) -> std::io::Result<bool> {
    // A FIFO named where an ELF file was expected must not block the read.
    read_magic(crate::fsio::open_no_fifo(path)?.0)
}

fn read_magic(mut file: File) -> std::io::Result<bool> {
    let mut magic = [0u8; 4];
    let mut filled = 0;
    while filled < magic.len() {
        match file.read(&mut magic[filled..])? {
            0 => return Ok(false),
            n => filled += n,
        }
    }
    Ok(magic == ELF_MAGIC)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn elf_files_are_found_by_magic_and_symlinks_pycache_and_metadata_are_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("pkg.libs")).unwrap();
        std::fs::write(root.join("pkg.libs/libx-12ab.so.3"), b"\x7fELF rest").unwrap();
        std::fs::write(root.join("mod.py"), b"import os\n").unwrap();
        std::fs::write(root.join("fake.so"), b"not elf").unwrap();
        std::fs::write(root.join("short"), b"\x7fE").unwrap();
        std::fs::create_dir_all(root.join("x-1.0.dist-info/licenses")).unwrap();
        std::fs::write(root.join("x-1.0.dist-info/licenses/LICENSE"), b"\x7fELF").unwrap();
        symlink(root, root.join("loop")).unwrap();
        symlink("/usr/lib", root.join("outside")).unwrap();
        symlink(root.join("pkg.libs/libx-12ab.so.3"), root.join("libx.so")).unwrap();
        std::fs::create_dir_all(root.join("__pycache__")).unwrap();
        std::fs::write(root.join("__pycache__/mod.cpython-312.pyc"), b"\x7fELF").unwrap();
        let walk = walk(root);
        assert_eq!(walk.elf_files, vec![root.join("pkg.libs/libx-12ab.so.3")]);
        assert_eq!(walk.dist_infos, vec![root.join("x-1.0.dist-info")]);
        assert_eq!(walk.symlinks_skipped, 3);
        // Seen, but neither the bytecode cache nor the .dist-info's files opened.
        assert_eq!(walk.files_seen, 5);
        assert!(walk.errors.is_empty());
    }
}
