//! Where a module's files sit on disk, found without importing it: the first `sys.path` entry
//! that holds the top-level package (a directory) or module (a `.so`/`.py` file), its auditwheel
//! `<name>.libs` siblings, and every ELF file among them (by magic, not by name).

use std::path::{Path, PathBuf};

use super::walk;

/// A module's files on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageFiles {
    /// The package directory, or the single module file.
    pub root: PathBuf,
    /// `<name>.libs` directories beside it (vendored libraries of auditwheel-repaired wheels).
    pub vendored: Vec<PathBuf>,
    /// Every ELF file under `root` and `vendored`, sorted.
    pub elf_files: Vec<PathBuf>,
}

/// Locate the top-level package of `module` along `sys_path` (`""` is `cwd`), as the import
/// system would find it first.
pub fn locate(module: &str, sys_path: &[String], cwd: &Path) -> Option<PackageFiles> {
    let top = module.split('.').next().filter(|t| !t.is_empty())?;
    for entry in sys_path {
        let dir = if entry.is_empty() {
            cwd.to_path_buf()
        } else {
            cwd.join(entry)
        };
        let Some(root) = top_level_in(&dir, top) else {
            continue;
        };
        let vendored = vendored_dirs(&dir, top);
        let mut elf_files: Vec<PathBuf> = std::iter::once(&root)
            .chain(&vendored)
            .flat_map(|p| elf_files_of(p))
            .collect();
        elf_files.sort();
        elf_files.dedup();
        return Some(PackageFiles {
            root,
            vendored,
            elf_files,
        });
    }
    None
}

/// `dir/top/` (with or without `__init__.py`: namespace packages count), else a module file
/// `dir/top.py` or `dir/top.<tag>.so`.
fn top_level_in(dir: &Path, top: &str) -> Option<PathBuf> {
    let package = dir.join(top);
    if package.is_dir() {
        return Some(package);
    }
    let entries = std::fs::read_dir(dir).ok()?;
    let prefix = format!("{top}.");
    entries.flatten().map(|e| e.path()).find(|p| {
        p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
            n.starts_with(&prefix) && (n.ends_with(".so") || n == format!("{top}.py"))
        })
    })
}

/// `numpy.libs`, `scipy.libs`, and for distributions whose name differs from the package
/// (`pillow.libs` for `PIL`) any `.libs` dir whose name matches case-insensitively.
fn vendored_dirs(dir: &Path, top: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let want = format!("{}.libs", top.to_ascii_lowercase());
    let mut dirs: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.to_ascii_lowercase() == want)
                && p.is_dir()
        })
        .collect();
    dirs.sort();
    dirs
}

/// ELF files under a package directory (the scan's walk: by magic, symlinks never followed),
/// or the module file itself.
fn elf_files_of(path: &Path) -> Vec<PathBuf> {
    if path.is_dir() {
        walk::walk(path).elf_files
    } else if is_elf_file(path) {
        vec![path.to_path_buf()]
    } else {
        Vec::new()
    }
}

/// A regular file that starts with the ELF magic (a FIFO or device named in a paste is not
/// opened at all: opening a FIFO would block).
pub fn is_elf_file(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file()) && walk::has_elf_magic(path).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_package_its_libs_and_its_elf_files() {
        let t = tempfile::tempdir().unwrap();
        let site = t.path().join("site");
        std::fs::create_dir_all(site.join("pkg/sub")).unwrap();
        std::fs::create_dir_all(site.join("pkg.libs")).unwrap();
        std::fs::write(site.join("pkg/__init__.py"), "").unwrap();
        std::fs::write(site.join("pkg/sub/_ext.so"), b"\x7fELF rest").unwrap();
        std::fs::write(site.join("pkg/data.bin"), b"not elf").unwrap();
        std::fs::write(site.join("pkg.libs/libfoo-1234.so.1"), b"\x7fELF").unwrap();
        std::os::unix::fs::symlink(&site, site.join("pkg/loop")).unwrap();
        let found = locate(
            "pkg.sub",
            &["/nonexistent".into(), site.display().to_string()],
            t.path(),
        )
        .unwrap();
        assert_eq!(found.root, site.join("pkg"));
        assert_eq!(found.vendored, vec![site.join("pkg.libs")]);
        assert_eq!(
            found.elf_files,
            vec![
                site.join("pkg/sub/_ext.so"),
                site.join("pkg.libs/libfoo-1234.so.1")
            ]
        );
    }

    #[test]
    fn a_single_file_extension_module_is_found() {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(
            t.path().join("_speed.cpython-311-x86_64-linux-gnu.so"),
            b"\x7fELF",
        )
        .unwrap();
        let found = locate("_speed", &[String::new()], t.path()).unwrap();
        assert_eq!(found.elf_files.len(), 1);
        assert!(locate("absent", &[String::new()], t.path()).is_none());
    }
}
