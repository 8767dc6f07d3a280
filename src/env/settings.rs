//! What the env layer takes from the user's shell, as typed values: the working directory and
//! the handful of variables that decide which python runs and what its loader sees. The
//! commands build one `Settings` from the request; nothing in `env/` reads a variable by name.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Relative paths (`--python .venv/bin/python`, PATH entries) are taken from here.
    pub cwd: PathBuf,
    /// `PATH`, as the shell has it.
    pub path: Option<String>,
    /// `VIRTUAL_ENV`, when set and not empty.
    pub virtual_env: Option<String>,
    /// The Nix store directory (`NIX_STORE_DIR`, default `/nix/store`).
    pub store_dir: PathBuf,
    /// `LD_LIBRARY_PATH` split as ld.so splits it; None when unset.
    pub ld_library_path: Option<Vec<String>>,
    /// `NIX_LD` and `NIX_LD_LIBRARY_PATH`, when set and not empty.
    pub nix_ld: Option<String>,
    pub nix_ld_library_path: Option<String>,
    /// `IN_NIX_SHELL` (`impure`, `pure`), when set and not empty.
    pub in_nix_shell: Option<String>,
    /// The shell tools' own variables: `DEVENV_ROOT`, `DIRENV_FILE`, `DIRENV_DIR`.
    pub devenv_root: Option<String>,
    pub direnv_file: Option<String>,
    pub direnv_dir: Option<String>,
    /// Where Jupyter looks for kernels: `JUPYTER_PATH`, `JUPYTER_DATA_DIR`, `XDG_DATA_HOME`,
    /// and `HOME` for the default user data dir.
    pub jupyter_path: Option<String>,
    pub jupyter_data_dir: Option<String>,
    pub xdg_data_home: Option<String>,
    pub home: Option<String>,
    /// Custom install roots: `PYENV_ROOT`, `UV_PYTHON_INSTALL_DIR`.
    pub pyenv_root: Option<String>,
    pub uv_python_install_dir: Option<String>,
    /// The whole environment, for the interpreter pydoctor runs: it must see what the
    /// user's shell gives it.
    pub child_vars: BTreeMap<String, String>,
}

impl Settings {
    /// The first executable file called `name` on `PATH`.
    pub fn search_path(&self, name: &str) -> Option<PathBuf> {
        self.path
            .as_deref()?
            .split(':')
            .filter(|d| !d.is_empty())
            .map(|d| self.cwd.join(d).join(name))
            .find(|p| is_executable(p))
    }

    /// The loader nix-ld runs programs with: `NIX_LD`, else nix-ld's default path.
    pub fn nix_ld_loader(&self) -> PathBuf {
        crate::loader::Settings::nix_ld_or_default(self.nix_ld.as_deref())
    }

    /// `path` as seen from the working directory.
    pub fn resolve(&self, path: &Path) -> PathBuf {
        self.cwd.join(path)
    }
}

pub fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}
