//! Walking a tree for ELF files, by magic (the first four bytes), never by name: a vendored
//! `libfoo-1a2b3c.so.1.2` in `*.libs/` counts as much as `_ext.cpython-312-x86_64-linux-gnu.so`.
//!
//! Symbolic links are not followed at all, neither to directories (no loops, no escaping the
//! tree, no `lib64 -> lib` duplicates) nor to files (the target is met by its real name when it
//! lies in the tree). A directory that cannot be read is recorded and the walk goes on.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

const ELF_MAGIC: [u8; 4] = [0x7f, b'E', b'L', b'F'];

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
/// Level by level, each level's directories read (and their files' magic checked) in
/// parallel.
pub fn walk(root: &Path) -> Walk {
    let mut out = Walk::default();
    let mut level = vec![root.to_path_buf()];
    while !level.is_empty() {
        let read: Vec<DirListing> = level.par_iter().map(|dir| read_dir(dir)).collect();
        level = Vec::new();
        for listing in read {
            out.elf_files.extend(listing.elf_files);
            out.dist_infos.extend(listing.dist_infos);
            out.files_seen += listing.files_seen;
            out.symlinks_skipped += listing.symlinks_skipped;
            out.errors.extend(listing.errors);
            level.extend(listing.subdirs);
        }
    }
    out.elf_files.sort();
    out.dist_infos.sort();
    out.errors.sort_by(|a, b| a.path.cmp(&b.path));
    out
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

fn read_dir(dir: &Path) -> DirListing {
    let mut out = DirListing::default();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            out.errors.push(WalkError::new(dir, e));
            return out;
        }
    };
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                out.errors.push(WalkError::new(dir, e));
                continue;
            }
        };
        // d_type from readdir: no stat, and a symlink is reported as a symlink.
        let Ok(kind) = entry.file_type() else {
            out.errors
                .push(WalkError::new(&entry.path(), "cannot tell the file type"));
            continue;
        };
        let path = entry.path();
        if kind.is_symlink() {
            out.symlinks_skipped += 1;
        } else if kind.is_dir() {
            if path.extension().is_some_and(|e| e == "dist-info") {
                out.dist_infos.push(path.clone());
            }
            out.subdirs.push(path);
        } else if kind.is_file() {
            out.files_seen += 1;
            if surely_not_elf(&path) {
                continue;
            }
            match has_elf_magic(&path) {
                Ok(true) => out.elf_files.push(path),
                Ok(false) => {}
                Err(e) => out.errors.push(WalkError::new(&path, e)),
            }
        }
    }
    out
}

/// Sources, text and data that packages ship in bulk (numpy: ~1,700 files, 22 ELF files). No
/// loader cares about names, but no ELF file is ever given these: they are not opened, and
/// every other file, whatever its name, is judged by its first four bytes.
const NOT_ELF_EXTENSIONS: &[&str] = &[
    "py", "pyi", "pyc", "pyx", "pxd", "pxi", "pyf", "h", "hpp", "c", "cc", "cpp", "f", "f90",
    "txt", "md", "rst", "json", "toml", "cfg", "ini", "yaml", "yml", "csv", "npy", "npz", "typed",
    "html", "js", "css", "svg", "png", "pem", "mo", "po",
];

fn surely_not_elf(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| NOT_ELF_EXTENSIONS.contains(&e))
}

/// True when the file starts with `\x7fELF`; reads four bytes and no more.
pub fn has_elf_magic(path: &Path) -> std::io::Result<bool> {
    let mut file = File::open(path)?;
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
    fn elf_files_are_found_by_magic_and_symlinks_are_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("pkg.libs")).unwrap();
        std::fs::write(root.join("pkg.libs/libx-12ab.so.3"), b"\x7fELF rest").unwrap();
        std::fs::write(root.join("mod.py"), b"import os\n").unwrap();
        std::fs::write(root.join("fake.so"), b"not elf").unwrap();
        std::fs::write(root.join("short"), b"\x7fE").unwrap();
        std::fs::create_dir_all(root.join("x-1.0.dist-info")).unwrap();
        symlink(root, root.join("loop")).unwrap();
        symlink("/usr/lib", root.join("outside")).unwrap();
        symlink(root.join("pkg.libs/libx-12ab.so.3"), root.join("libx.so")).unwrap();
        let walk = walk(root);
        assert_eq!(walk.elf_files, vec![root.join("pkg.libs/libx-12ab.so.3")]);
        assert_eq!(walk.dist_infos, vec![root.join("x-1.0.dist-info")]);
        assert_eq!(walk.symlinks_skipped, 3);
        assert_eq!(walk.files_seen, 4);
        assert!(walk.errors.is_empty());
    }
}
