//! Which kind of loader a PT_INTERP names. The one classifier: the loader emulation picks its
//! search rules by it, and `env` reports it as the interpreter's loader flavour.

use std::path::Path;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum LoaderFlavor {
    NixGlibc,
    FhsGlibc,
    Musl,
    #[default]
    Unknown,
}

impl LoaderFlavor {
    pub fn as_str(self) -> &'static str {
        match self {
            LoaderFlavor::NixGlibc => "nix-glibc",
            LoaderFlavor::FhsGlibc => "fhs-glibc",
            LoaderFlavor::Musl => "musl",
            LoaderFlavor::Unknown => "unknown",
        }
    }
}

/// The flavour of the loader `asked` (the path as written), whose real file is `real`.
///
/// musl is decided first, by name: a musl loader inside the Nix store (nixpkgs' pkgsMusl) is
/// still musl, and searches the musl way. A loader that is not there is of no known flavour
/// (a musl one aside: its name says enough to search the way it would). Anything else is
/// Nix's glibc when either spelling lives in the store, else an FHS glibc.
pub fn classify(asked: &Path, real: &Path, store_dir: &Path) -> LoaderFlavor {
    let musl_named = |p: &Path| {
        p.file_name()
            .is_some_and(|n| n.as_encoded_bytes().starts_with(b"ld-musl"))
    };
    let in_store = |p: &Path| !store_dir.as_os_str().is_empty() && p.starts_with(store_dir);
    if musl_named(real) || musl_named(asked) {
        LoaderFlavor::Musl
    } else if !real.exists() {
        LoaderFlavor::Unknown
    } else if in_store(real) || in_store(asked) {
        LoaderFlavor::NixGlibc
    } else {
        LoaderFlavor::FhsGlibc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_musl_loader_in_the_store_is_musl() {
        // pkgsMusl: the store prefix said nix-glibc to one of the two old classifiers.
        let store = tempfile::tempdir().unwrap();
        let loader = store.path().join("abc-musl-1.2.5/lib/ld-musl-x86_64.so.1");
        std::fs::create_dir_all(loader.parent().unwrap()).unwrap();
        std::fs::write(&loader, b"").unwrap();
        assert_eq!(classify(&loader, &loader, store.path()), LoaderFlavor::Musl);
    }

    #[test]
    fn glibc_in_the_store_is_nix_and_elsewhere_fhs() {
        let store = tempfile::tempdir().unwrap();
        let nix = store.path().join("x-glibc-2.40/lib/ld-linux-x86-64.so.2");
        std::fs::create_dir_all(nix.parent().unwrap()).unwrap();
        std::fs::write(&nix, b"").unwrap();
        assert_eq!(classify(&nix, &nix, store.path()), LoaderFlavor::NixGlibc);
        let fhs = tempfile::tempdir().unwrap();
        let host = fhs.path().join("ld-linux-x86-64.so.2");
        std::fs::write(&host, b"").unwrap();
        assert_eq!(classify(&host, &host, store.path()), LoaderFlavor::FhsGlibc);
        // Asked by an FHS path that links into the store: the file decides.
        assert_eq!(classify(&host, &nix, store.path()), LoaderFlavor::NixGlibc);
    }

    #[test]
    fn a_missing_loader_has_no_flavour_unless_named_musl() {
        let dir = tempfile::tempdir().unwrap();
        let gone = dir.path().join("ld-linux-x86-64.so.2");
        assert_eq!(classify(&gone, &gone, dir.path()), LoaderFlavor::Unknown);
        let musl = dir.path().join("ld-musl-x86_64.so.1");
        assert_eq!(classify(&musl, &musl, dir.path()), LoaderFlavor::Musl);
    }
}
