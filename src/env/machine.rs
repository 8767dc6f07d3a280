//! This machine as fixes see it: which programs are on the request's PATH, which paths exist,
//! and (with `nix-store` installed and the real store in use) which store paths a GC root
//! holds. The rules ask through [`Machine`], defined here so that `env` needs nothing above it.

use std::path::{Path, PathBuf};

use crate::env::interpreter::search_path;
use crate::env::nix_store::NixStore;
use crate::request::Request;

/// What this machine has, as far as a fix is concerned.
pub trait Machine {
    /// `name` is an executable on PATH (or an existing executable, when it is a path).
    fn has_command(&self, name: &str) -> bool;
    fn path_exists(&self, path: &Path) -> bool;
    /// Whether a GC root holds this store entry (`None`: cannot tell here).
    fn is_rooted(&self, entry: &Path) -> Option<bool>;
}

pub struct LocalMachine<'a> {
    request: &'a Request,
    nix_store: Option<NixStore>,
}

/// Where Nix keeps its store unless told otherwise; `nix-store` answers only for that one.
const DEFAULT_STORE: &str = "/nix/store";

impl<'a> LocalMachine<'a> {
    pub fn new(request: &'a Request) -> LocalMachine<'a> {
        // A test store under another directory is not the one `nix-store` knows about.
        let real_store = request.store_dir() == Path::new(DEFAULT_STORE);
        let nix_store = real_store
            .then(|| search_path("nix-store", request))
            .flatten()
            .map(|program| NixStore { program });
        LocalMachine { request, nix_store }
    }

    pub fn nix_store(&self) -> Option<&NixStore> {
        self.nix_store.as_ref()
    }
}

impl Machine for LocalMachine<'_> {
    fn has_command(&self, name: &str) -> bool {
        if name.contains('/') {
            let path = self.request.cwd.join(name);
            return is_executable(&path);
        }
        search_path(name, self.request).is_some()
    }

    fn path_exists(&self, path: &Path) -> bool {
        self.request.cwd.join(path).exists()
    }

    fn is_rooted(&self, entry: &Path) -> Option<bool> {
        self.nix_store.as_ref()?.is_rooted(entry)
    }
}

fn is_executable(path: &PathBuf) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}
