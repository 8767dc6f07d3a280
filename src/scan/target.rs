//! What `scan` walks and whose loader resolves it: a venv (it has `pyvenv.cfg`; its own
//! `bin/python` loads its modules), a site-packages directory or an unpacked wheel tree (the
//! `--python` or discovered interpreter loads them), or, with no path, the site-packages
//! directories the interpreter reports.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::source::probe::InterpreterFacts;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TargetKind {
    Venv,
    SitePackages,
    /// Any other directory: an unpacked wheel, a build tree.
    Tree,
}

/// The directories to walk and the interpreter the path itself names, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanTarget {
    pub kind: TargetKind,
    /// Absolute, symlinks resolved.
    pub roots: Vec<PathBuf>,
    /// A venv's own interpreter (`bin/python`).
    pub venv_python: Option<PathBuf>,
}

/// The target a `scan PATH` names, relative to `cwd`.
pub fn of_path(path: &Path, cwd: &Path) -> Result<ScanTarget> {
    let joined = cwd.join(path);
    let root = std::fs::canonicalize(&joined).map_err(|e| Error::io(&joined, e))?;
    if !root.is_dir() {
        return Err(Error::Usage(format!(
            "{}: not a directory (scan takes a venv, a site-packages directory or a wheel tree)",
            joined.display()
        )));
    }
    if root.join("pyvenv.cfg").is_file() {
        let venv_python = ["bin/python", "bin/python3"]
            .iter()
            .map(|p| root.join(p))
            .find(|p| p.is_file());
        return Ok(ScanTarget {
            kind: TargetKind::Venv,
            roots: vec![root],
            venv_python,
        });
    }
    let name = root.file_name().unwrap_or_default();
    let kind = if name == "site-packages" || name == "dist-packages" {
        TargetKind::SitePackages
    } else {
        TargetKind::Tree
    };
    Ok(ScanTarget {
        kind,
        roots: vec![root],
        venv_python: None,
    })
}

/// The interpreter's own site-packages, from what it reported about itself, else (when it
/// could not run) from its venv's layout.
pub fn of_interpreter(python: &Path, facts: Option<&InterpreterFacts>) -> Result<ScanTarget> {
    let mut roots: Vec<PathBuf> = Vec::new();
    let reported = facts.map(|f| f.site_packages.clone()).unwrap_or_default();
    let candidates = if reported.is_empty() {
        venv_site_packages(python)
    } else {
        reported.into_iter().map(PathBuf::from).collect()
    };
    for dir in candidates {
        if let Ok(real) = std::fs::canonicalize(&dir)
            && real.is_dir()
            && !roots.contains(&real)
        {
            roots.push(real);
        }
    }
    if roots.is_empty() {
        return Err(Error::Other(format!(
            "{}: no site-packages directory found; pass a PATH to scan",
            python.display()
        )));
    }
    Ok(ScanTarget {
        kind: TargetKind::SitePackages,
        roots,
        venv_python: None,
    })
}

/// `<venv>/lib/python*/site-packages` for `<venv>/bin/python`.
fn venv_site_packages(python: &Path) -> Vec<PathBuf> {
    let Some(venv) = python.parent().and_then(Path::parent) else {
        return Vec::new();
    };
    if !venv.join("pyvenv.cfg").is_file() {
        return Vec::new();
    }
    let Ok(entries) = std::fs::read_dir(venv.join("lib")) else {
        return Vec::new();
    };
    let mut dirs: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path().join("site-packages"))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_with_pyvenv_cfg_is_a_venv_with_its_own_python() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pyvenv.cfg"), "home = /usr/bin\n").unwrap();
        std::fs::create_dir_all(dir.path().join("bin")).unwrap();
        std::fs::write(dir.path().join("bin/python"), "").unwrap();
        let target = of_path(Path::new("."), dir.path()).unwrap();
        assert_eq!(target.kind, TargetKind::Venv);
        let real = std::fs::canonicalize(dir.path()).unwrap();
        assert_eq!(target.venv_python, Some(real.join("bin/python")));
    }

    #[test]
    fn other_directories_are_site_packages_or_trees() {
        let dir = tempfile::tempdir().unwrap();
        let sp = dir.path().join("site-packages");
        std::fs::create_dir_all(&sp).unwrap();
        let cwd = Path::new("/");
        assert_eq!(of_path(&sp, cwd).unwrap().kind, TargetKind::SitePackages);
        assert_eq!(of_path(dir.path(), cwd).unwrap().kind, TargetKind::Tree);
        assert!(of_path(&dir.path().join("nope"), cwd).is_err());
    }
}
