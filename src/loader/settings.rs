//! The few outside inputs the loader emulation reads, as plain data: the caller fills them
//! from its environment; nothing here reads variables.

use std::path::PathBuf;

/// nix-ld's compiled-in defaults when its variables are unset (docs/loader-and-nix.md,
/// "nix-ld's variables and defaults").
pub const NIX_LD_DEFAULT: &str = "/run/current-system/sw/share/nix-ld/lib/ld.so";
pub const NIX_LD_LIBRARY_PATH_DEFAULT: &str = "/run/current-system/sw/share/nix-ld/lib";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// LD_LIBRARY_PATH as the loader splits it (empty element = current directory); empty
    /// when unset.
    pub ld_library_path: Vec<String>,
    /// The directory relative paths and empty search elements mean.
    pub cwd: PathBuf,
    /// The Nix store: a loader inside it is Nix's glibc.
    pub store_dir: PathBuf,
    /// The loader nix-ld starts: `$NIX_LD`, or its default.
    pub nix_ld: PathBuf,
    /// What nix-ld appends to LD_LIBRARY_PATH: `$NIX_LD_LIBRARY_PATH`, or its default.
    pub nix_ld_library_path: Vec<String>,
}

impl Settings {
    /// `$NIX_LD` (set and not empty), or nix-ld's default.
    pub fn nix_ld_or_default(var: Option<&str>) -> PathBuf {
        PathBuf::from(var.unwrap_or(NIX_LD_DEFAULT))
    }

    /// `$NIX_LD_LIBRARY_PATH` (set and not empty), or nix-ld's default, split on ':'.
    pub fn nix_ld_library_path_or_default(var: Option<&str>) -> Vec<String> {
        var.unwrap_or(NIX_LD_LIBRARY_PATH_DEFAULT)
            .split(':')
            .map(str::to_string)
            .collect()
    }
}
