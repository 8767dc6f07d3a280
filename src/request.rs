//! The one value that carries every outside input into the core: environment variables as the
//! user's shell had them, the working directory, and the extra rule directories. Nothing deeper
//! in the crate reads `std::env`; that is what lets tests drive the core with fixtures.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::loader::Settings;

#[derive(Debug, Clone, Default)]
pub struct Request {
    pub vars: BTreeMap<String, String>,
    pub cwd: PathBuf,
    pub rules_dirs: Vec<PathBuf>,
}

impl Request {
    /// Snapshot of this process's environment (the only place that reads it).
    pub fn from_process(rules_dirs: Vec<PathBuf>) -> Request {
        Request {
            vars: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
            cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
            rules_dirs,
        }
    }

    /// A request with only `vars`, in `cwd` (tests drive the core with these).
    pub fn with_vars(cwd: &std::path::Path, vars: &[(&str, &str)]) -> Request {
        Request {
            vars: vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            cwd: cwd.to_path_buf(),
            rules_dirs: Vec::new(),
        }
    }

    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// A variable that is set and not empty.
    pub fn nonempty_var(&self, name: &str) -> Option<&str> {
        self.var(name).filter(|v| !v.is_empty())
    }

    /// The Nix store directory: `$NIX_STORE_DIR`, default `/nix/store`. A relative one is
    /// taken from the working directory: paths are compared with it absolute.
    pub fn store_dir(&self) -> PathBuf {
        self.cwd
            .join(self.nonempty_var("NIX_STORE_DIR").unwrap_or("/nix/store"))
    }

    /// What the env layer needs of the shell, typed once (see `env::Settings`).
    pub fn env_settings(&self) -> crate::env::Settings {
        let owned = |name: &str| self.nonempty_var(name).map(str::to_string);
        crate::env::Settings {
            cwd: self.cwd.clone(),
            path: self.var("PATH").map(str::to_string),
            virtual_env: owned("VIRTUAL_ENV"),
            store_dir: self.store_dir(),
            ld_library_path: self.ld_library_path(),
            nix_ld: owned("NIX_LD"),
            nix_ld_library_path: owned("NIX_LD_LIBRARY_PATH"),
            in_nix_shell: owned("IN_NIX_SHELL"),
            devenv_root: owned("DEVENV_ROOT"),
            direnv_file: owned("DIRENV_FILE"),
            direnv_dir: owned("DIRENV_DIR"),
            jupyter_path: owned("JUPYTER_PATH"),
            jupyter_data_dir: owned("JUPYTER_DATA_DIR"),
            xdg_data_home: owned("XDG_DATA_HOME"),
            home: owned("HOME"),
            pyenv_root: owned("PYENV_ROOT"),
            uv_python_install_dir: owned("UV_PYTHON_INSTALL_DIR"),
            child_vars: self.vars.clone(),
        }
    }

    /// `LD_LIBRARY_PATH` as ld.so splits it (on ':' and ';'; empty elements kept: they mean
    /// the current directory). None when unset.
    pub fn ld_library_path(&self) -> Option<Vec<String>> {
        self.var("LD_LIBRARY_PATH").map(split_ld_library_path)
    }

    /// The loader nix-ld starts: `$NIX_LD`, or its compiled-in default.
    pub fn nix_ld_loader(&self) -> PathBuf {
        Settings::nix_ld_or_default(self.nonempty_var("NIX_LD"))
    }

    /// Where answers worth keeping between runs go: `$XDG_CACHE_HOME/pydoctor`, default
    /// `~/.cache/pydoctor`; none unless that is an absolute path.
    pub fn cache_dir(&self) -> Option<PathBuf> {
        let base = match self.nonempty_var("XDG_CACHE_HOME") {
            Some(x) => PathBuf::from(x),
            None => PathBuf::from(self.nonempty_var("HOME")?).join(".cache"),
        };
        base.is_absolute().then(|| base.join("pydoctor"))
    }
}

impl Settings {
    /// What the loader emulation reads from the user's environment.
    pub fn from_request(request: &Request) -> Settings {
        Settings {
            ld_library_path: request.ld_library_path().unwrap_or_default(),
            cwd: request.cwd.clone(),
            store_dir: request.store_dir(),
            nix_ld: request.nix_ld_loader(),
            nix_ld_library_path: Settings::nix_ld_library_path_or_default(
                request.nonempty_var("NIX_LD_LIBRARY_PATH"),
            ),
        }
    }
}

/// Split a library path list the way ld.so splits LD_LIBRARY_PATH (docs/loader-and-nix.md, "Search path lists").
pub fn split_ld_library_path(value: &str) -> Vec<String> {
    if value.is_empty() {
        return Vec::new();
    }
    value.split([':', ';']).map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn a_relative_store_dir_is_taken_from_the_working_directory() {
        let r = Request::with_vars(Path::new("/w"), &[("NIX_STORE_DIR", "cache/nix/store")]);
        assert_eq!(r.store_dir(), Path::new("/w/cache/nix/store"));
        let r = Request::with_vars(Path::new("/w"), &[]);
        assert_eq!(r.store_dir(), Path::new("/nix/store"));
    }
}
