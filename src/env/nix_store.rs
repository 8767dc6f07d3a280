//! What the `nix-store` command can say about store paths, when it is installed: the runtime
//! closure of a path (`--query --requisites`) and whether a path is held by a GC root
//! (`--query --roots`). Both are optional facts: without nix, or when it is slow or refuses,
//! the answer is `None`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(3);

/// The `nix-store` that would run (the request's PATH was searched by the caller).
#[derive(Debug, Clone)]
pub struct NixStore {
    pub program: PathBuf,
}

impl NixStore {
    /// Every store entry `path` depends on at run time, itself included.
    pub fn requisites(&self, path: &Path) -> Option<Vec<PathBuf>> {
        let out = self.query(&["--query", "--requisites"], path)?;
        Some(out.lines().map(PathBuf::from).collect())
    }

    /// Whether a GC root keeps `path` (and so the next `nix-collect-garbage` will not
    /// remove it).
    pub fn is_rooted(&self, path: &Path) -> Option<bool> {
        let out = self.query(&["--query", "--roots"], path)?;
        Some(out.lines().any(|l| !l.trim().is_empty()))
    }

    fn query(&self, args: &[&str], path: &Path) -> Option<String> {
        let mut command = Command::new(&self.program);
        command.args(args).arg(path);
        crate::process::stdout_within(command, LIMIT)
    }
}

/// The store entry (`/nix/store/<hash>-name`) that `path` lies in.
pub fn entry_of(path: &Path, store_dir: &Path) -> Option<PathBuf> {
    let rest = path.strip_prefix(store_dir).ok()?;
    let first = rest.components().next()?;
    Some(store_dir.join(first))
}
