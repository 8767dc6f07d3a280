//! Where a module's files sit on disk, found without importing it: the first `sys.path` entry
//! that holds the top-level package (a directory) or module (a `.so`/`.py` file), its auditwheel
//! `<name>.libs` siblings, and every ELF file among them (by magic, not by name).

use std::io::Read;
use std::path::{Path, PathBuf};

/// How many files one package may contribute; a package is not a file system.
const MAX_FILES: usize = 50_000;
/// Package trees are shallow; deeper is a loop or a mistake.
const MAX_DEPTH: usize = 32;

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
        let mut elf_files = Vec::new();
        for path in std::iter::once(&root).chain(&vendored) {
            collect_elf_files(path, 0, &mut elf_files);
        }
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

fn collect_elf_files(path: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    // symlink_metadata: a symlinked directory is not followed (no loops, no leaving the tree).
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return;
    };
    if meta.is_dir() {
        collect_dir(path, depth, out);
    } else if meta.is_file() && has_elf_magic(path) {
        out.push(path.to_path_buf());
    }
}

/// The walk costs one readdir per directory: the entries' own types (not followed, like
/// `symlink_metadata`) say what is a directory, and files that are surely not ELF by their
/// extension are not opened. numpy holds ~1,700 files and 22 ELF files; `check` waits for this.
fn collect_dir(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    if out.len() >= MAX_FILES || depth > MAX_DEPTH {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut children: Vec<(PathBuf, std::fs::FileType)> = entries
        .flatten()
        .filter_map(|e| Some((e.path(), e.file_type().ok()?)))
        .collect();
    children.sort_by(|a, b| a.0.cmp(&b.0));
    for (child, kind) in children {
        if kind.is_dir() {
            collect_dir(&child, depth + 1, out);
        } else if kind.is_file() && !surely_not_elf(&child) && has_elf_magic(&child) {
            out.push(child);
        }
    }
}

/// Sources, text and data that packages ship in bulk; an ELF file never carries these names.
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

/// Four bytes read, never more: the tree can hold large data files.
pub fn has_elf_magic(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok_and(|()| magic == *b"\x7fELF")
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
