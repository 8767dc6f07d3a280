//! Pinning the store paths a fix uses, so that `nix-collect-garbage` cannot delete a library
//! from under the venv: one indirect GC root per store path, a symlink under the venv that
//! `nix-store --add-root … --indirect` registers. Without nix the paths are not pinned, and
//! the report says so.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::process::{self, Finished, Limits};

/// A GC root is a symlink and a database row: seconds, even on a busy store.
const NIX_STORE_LIMIT: Duration = Duration::from_secs(120);

fn nix_store_run(command: &mut Command) -> std::io::Result<Finished> {
    let limits = Limits {
        timeout: NIX_STORE_LIMIT,
        capture: 64 * 1024,
    };
    process::run(command, limits)
}

/// What became of one store path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pin {
    pub store_path: String,
    /// The root's symlink under the venv, when one was made.
    pub root: Option<String>,
    pub pinned: bool,
    /// Why not, when not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// `nix-store --add-root ROOT --indirect --realise STORE_PATH`.
pub fn add_root(nix_store: Option<&Path>, root: &Path, store_path: &Path) -> Pin {
    let unpinned = |note: String| Pin {
        store_path: store_path.to_string_lossy().into_owned(),
        root: None,
        pinned: false,
        note: Some(note),
    };
    let Some(nix_store) = nix_store else {
        return unpinned(
            "nix-store is not on PATH: the path is not pinned against garbage collection".into(),
        );
    };
    if let Some(dir) = root.parent()
        && let Err(e) = std::fs::create_dir_all(dir)
    {
        return unpinned(format!("{}: {e}", dir.display()));
    }
    // Only a path nix knows can be pinned; asking to realise another would try to build it.
    let valid = nix_store_run(
        Command::new(nix_store)
            .arg("--check-validity")
            .arg(store_path),
    );
    match valid {
        Ok(out) if out.succeeded() => {}
        Ok(out) => {
            return unpinned(format!(
                "nix-store: {}; the path is not pinned",
                last_line(&out.stderr.text)
            ));
        }
        Err(e) => {
            return unpinned(format!(
                "{}: {e}; the path is not pinned",
                nix_store.display()
            ));
        }
    }
    let out = nix_store_run(
        Command::new(nix_store)
            .arg("--add-root")
            .arg(root)
            .arg("--indirect")
            .arg("--realise")
            .arg(store_path),
    );
    match out {
        Ok(out) if out.succeeded() => Pin {
            store_path: store_path.to_string_lossy().into_owned(),
            root: Some(root.to_string_lossy().into_owned()),
            pinned: true,
            note: None,
        },
        Ok(out) => unpinned(format!(
            "nix-store could not add a GC root, the path is not pinned: {}",
            last_line(&out.stderr.text)
        )),
        Err(e) => unpinned(format!(
            "{}: {e}; the path is not pinned",
            nix_store.display()
        )),
    }
}

fn last_line(text: &str) -> String {
    let line = text.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("");
    line.trim().trim_start_matches("error: ").to_string()
}

/// Remove a root's symlink (nix drops its own record of an indirect root whose link is gone
/// at the next collection).
pub fn remove_root(root: &Path) -> Result<()> {
    match std::fs::symlink_metadata(root) {
        Ok(meta) if meta.file_type().is_symlink() => {
            std::fs::remove_file(root).map_err(|e| Error::io(root, e))
        }
        Ok(_) => Err(Error::Other(format!(
            "{} is not the GC root symlink pydoctor fix made; nothing more was undone",
            root.display()
        ))),
        Err(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_nix_a_path_is_not_pinned_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let pin = add_root(None, &dir.path().join("r"), Path::new("/nix/store/x-zlib"));
        assert!(!pin.pinned);
        assert!(pin.note.unwrap().contains("not pinned"));
        remove_root(&dir.path().join("r")).unwrap();
    }
}
