//! Telling what kind of python a path belongs to, from the path alone.
//!
//! Used both for probed interpreters (on their resolved executable) and for paths seen in
//! pasted text. Pure string work: no file system access.

use crate::evidence::PythonKind;

/// Classify an interpreter or file path (`/nix/store/…-python3-3.12.4/bin/python3.12`,
/// `~/.pyenv/versions/3.11.7/…`, `~/.local/share/uv/python/cpython-3.13.5-linux-x86_64-gnu/…`).
/// `store_dir` is the Nix store (`/nix/store` unless NIX_STORE_DIR says otherwise).
pub fn python_kind_of_path(path: &str, store_dir: &str) -> PythonKind {
    let store = store_dir.trim_end_matches('/');
    if !store.is_empty() && path.starts_with(&format!("{store}/")) {
        return PythonKind::NixStore;
    }
    if path.contains("/.pyenv/versions/") || path.contains("/pyenv/versions/") {
        return PythonKind::Pyenv;
    }
    if path.contains("/uv/python/cpython-") || path.contains("/.rye/py/cpython@") {
        return PythonKind::UvManaged;
    }
    if [
        "/miniconda",
        "/anaconda",
        "/miniforge",
        "/mambaforge",
        "/micromamba",
        "/conda/",
        "/envs/",
    ]
    .iter()
    .any(|m| path.contains(m))
        && !path.contains("/.venv/")
    {
        return PythonKind::Conda;
    }
    if path.starts_with("/usr/") || path.starts_with("/bin/") || path.starts_with("/opt/python") {
        return PythonKind::System;
    }
    PythonKind::Unknown
}

/// The nixpkgs attribute for a CPython version: `3.12.4` → `python312`.
pub fn nix_python_attribute(version: &str) -> Option<String> {
    let mut parts = version.split('.');
    let major = parts.next()?.parse::<u32>().ok()?;
    let minor = parts
        .next()?
        .trim_end_matches(|c: char| !c.is_ascii_digit())
        .parse::<u32>()
        .ok()?;
    Some(format!("python{major}{minor}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nix_store_paths_are_nix_store_pythons() {
        let p = "/nix/store/abcd-python3-3.12.4/bin/python3.12";
        assert_eq!(python_kind_of_path(p, "/nix/store"), PythonKind::NixStore);
        assert_eq!(
            python_kind_of_path("/tmp/x/nix/store/a/bin/python", "/tmp/x/nix/store/"),
            PythonKind::NixStore
        );
    }

    #[test]
    fn managed_pythons_are_told_apart() {
        let s = "/nix/store";
        assert_eq!(
            python_kind_of_path("/home/u/.pyenv/versions/3.11.7/bin/python3", s),
            PythonKind::Pyenv
        );
        assert_eq!(
            python_kind_of_path(
                "/home/u/.local/share/uv/python/cpython-3.13.5-linux-x86_64-gnu/bin/python3.13",
                s
            ),
            PythonKind::UvManaged
        );
        assert_eq!(
            python_kind_of_path("/opt/miniconda3/bin/python", s),
            PythonKind::Conda
        );
        assert_eq!(
            python_kind_of_path("/usr/bin/python3", s),
            PythonKind::System
        );
        assert_eq!(
            python_kind_of_path("/home/u/proj/.venv/bin/python", s),
            PythonKind::Unknown
        );
    }

    #[test]
    fn python_attribute_from_version() {
        assert_eq!(nix_python_attribute("3.12.4").as_deref(), Some("python312"));
        assert_eq!(
            nix_python_attribute("3.13.0rc1").as_deref(),
            Some("python313")
        );
        assert_eq!(nix_python_attribute("garbage"), None);
    }
}
