//! This machine as fixes see it: which programs are on the shell's PATH, which paths exist,
//! and (with `nix-store` installed and the real store in use) which store paths a GC root
//! holds. The rules ask through [`crate::rules::runnable::Machine`].

use std::path::Path;

use crate::env::Settings;
use crate::env::nix_store::NixStore;
use crate::env::settings::is_executable;
use crate::rules::runnable::Machine;

pub struct LocalMachine {
    settings: Settings,
    nix_store: Option<NixStore>,
}

/// Where Nix keeps its store unless told otherwise; `nix-store` answers only for that one.
const DEFAULT_STORE: &str = "/nix/store";

impl LocalMachine {
    pub fn new(settings: &Settings) -> LocalMachine {
        // A test store under another directory is not the one `nix-store` knows about.
        let real_store = settings.store_dir == Path::new(DEFAULT_STORE);
        let nix_store = real_store
            .then(|| settings.search_path("nix-store"))
            .flatten()
            .map(|program| NixStore { program });
        LocalMachine {
            settings: settings.clone(),
            nix_store,
        }
    }

    pub fn nix_store(&self) -> Option<&NixStore> {
        self.nix_store.as_ref()
    }
}

impl Machine for LocalMachine {
    fn has_command(&self, name: &str) -> bool {
        if name.contains('/') {
            let path = self.settings.cwd.join(name);
            return is_executable(&path);
        }
        self.settings.search_path(name).is_some()
    }

    fn path_exists(&self, path: &Path) -> bool {
        self.settings.cwd.join(path).exists()
    }

    fn is_rooted(&self, entry: &Path) -> Option<bool> {
        self.nix_store.as_ref()?.is_rooted(entry)
    }
}
