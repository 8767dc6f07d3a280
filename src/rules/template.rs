//! Templates in rule files: `{name}` placeholders, filled per machine.
//!
//! A placeholder is `{` + a lowercase name + `}`; anything else in braces (`${LD_LIBRARY_PATH:+…}`,
//! `{ pkgs ? import <nixpkgs> { } }`) is literal text, so Nix and shell snippets need no escaping.
//! Unknown placeholder names are load errors.

use std::sync::LazyLock;

use regex::Regex;

static PLACEHOLDER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{([a-z][a-z_]*)\}").expect("placeholder pattern"));

/// Every placeholder a template may use; documented in docs/rules.md.
pub const PLACEHOLDERS: &[(&str, &str)] = &[
    (
        "library",
        "the first library (soname, version, symbol or module) of the diagnosis",
    ),
    (
        "libraries",
        "every library of the diagnosis, in words (`libstdc++.so.6 and libz.so.1`)",
    ),
    ("required_by", "the file that needs the library"),
    (
        "package",
        "the Python distribution involved (from the file's path, else the module)",
    ),
    ("module", "the module the user imported (else the package)"),
    (
        "timeout",
        "for an import that timed out: the time limit the import outlived (`60 s`)",
    ),
    (
        "stuck_at",
        "for an import that timed out: where the import was when time ran out (`line 3 of /x/pkg/net.py, in connect, called from line 12 of /x/pkg/__init__.py`)",
    ),
    (
        "provider",
        "for version kinds: the library that was found but is too old",
    ),
    (
        "newest_available",
        "for version kinds: the newest version the provider has",
    ),
    (
        "provider_via",
        "for version kinds: how the loader found the provider (`rpath`, `runpath`, `ld_library_path`, `ld.so.cache`, `default-dir` …)",
    ),
    (
        "provider_dirs",
        "the directories of the providers found, `:`-separated, in order (`LD_LIBRARY_PATH` dirs for a library found only through it)",
    ),
    (
        "shell_file",
        "the file that configures this shell (`devenv.nix`, `.envrc`, `shell.nix`), else the tool's usual one",
    ),
    (
        "kernel",
        "the Jupyter kernel's name (`check --kernel NAME`)",
    ),
    ("kernel_spec", "the kernel's `kernel.json`"),
    (
        "kernel_module_python",
        "another python of this shell that has the module the kernel's python lacks",
    ),
    (
        "kernel_new_name",
        "a name for a new kernel of that python (`ml-proj` for `~/proj/.venv`)",
    ),
    (
        "gcc_needed",
        "for libstdc++ versions: the oldest GCC release whose libstdc++ has every version needed (`11.1.0`)",
    ),
    ("python", "the interpreter's path (else `python3`)"),
    (
        "base_python",
        "the venv's base interpreter (`<base prefix>/bin/python3.12`), else the interpreter",
    ),
    (
        "python_attr",
        "the nixpkgs attribute of this python (`python312`, else `python3`)",
    ),
    (
        "python_minor",
        "the python's major.minor version (`3.12`, else `3`)",
    ),
    ("version", "the python's full version"),
    ("venv", "the venv directory (else `.venv`)"),
    (
        "nix_attrs",
        "nixpkgs attributes for the missing sonames, space-separated (`stdenv.cc.cc.lib zlib`)",
    ),
    (
        "nix_env",
        "the `python3.withPackages` env of the python, or of the venv's base (`/nix/store/…-python3-3.12.11-env`)",
    ),
    (
        "module_attr",
        "the nixpkgs attribute of the missing module's package: the store package's name when the store has it (`ipython-pygments-lexers`), else the package's name in nixpkgs' spelling",
    ),
    (
        "with_packages",
        "the packages of a `withPackages` list that has the env's own and the missing one (`ps.requests ps.numpy`)",
    ),
    (
        "other_pythons",
        "the Python versions whose store packages hold the missing module, in words (`3.11`)",
    ),
    (
        "other_python_attr",
        "the nixpkgs attribute of the newest of those pythons (`python311`)",
    ),
    (
        "store_module",
        "the store package that holds the missing module and imports with this python",
    ),
    (
        "nix_ld_libraries",
        "the NixOS line `programs.nix-ld.libraries = with pkgs; [ … ];`",
    ),
    (
        "nix_library_path",
        "`lib.makeLibraryPath [ … ]` for a mkShell",
    ),
    (
        "store_lib_dirs",
        "directories holding the missing sonames: local store paths when present, else a `nix build` expression",
    ),
    (
        "pin_store_paths",
        "`nix-store --add-root` lines for the store paths the fix uses that no GC root holds (the line is left out when all are held)",
    ),
    (
        "pip_install",
        "the install command in the venv's own tooling (`uv pip install --python …` in a uv venv, `python -m pip install` where pip is)",
    ),
    (
        "pip_reinstall",
        "the same, forcing a fresh download (`--force-reinstall --no-cache-dir`, or uv's `--reinstall --no-cache`)",
    ),
    ("pip_freeze", "the freeze command in the venv's own tooling"),
    (
        "pip_check",
        "the dependency check in the venv's own tooling",
    ),
    (
        "venv_create",
        "the command that makes the venv from its base python, in the venv's own tooling",
    ),
    (
        "venv_recreate",
        "a chained recipe that saves the package list, stops if it is empty, then clears and remakes the venv and installs the list again",
    ),
    (
        "debian_packages",
        "Debian/Ubuntu packages for the missing sonames",
    ),
    ("fedora_packages", "Fedora packages for the missing sonames"),
    (
        "arch_packages",
        "Arch Linux packages for the missing sonames",
    ),
];

pub fn is_known(name: &str) -> bool {
    PLACEHOLDERS.iter().any(|(known, _)| *known == name)
}

/// The placeholder names a template uses, in order.
pub fn placeholders(template: &str) -> impl Iterator<Item = &str> {
    PLACEHOLDER
        .captures_iter(template)
        .filter_map(|c| c.get(1).map(|m| m.as_str()))
}

/// The first unknown placeholder, for the load-time check.
pub fn first_unknown(template: &str) -> Option<&str> {
    placeholders(template).find(|name| !is_known(name))
}

/// Fill a template; `value` answers for each placeholder name.
pub fn render(template: &str, value: &dyn Fn(&str) -> String) -> String {
    PLACEHOLDER
        .replace_all(template, |c: &regex::Captures<'_>| value(&c[1]))
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_and_nix_braces_are_literal() {
        let t = r#"export LD_LIBRARY_PATH="{store_lib_dirs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" { pkgs ? import <nixpkgs> { } }"#;
        let names: Vec<_> = placeholders(t).collect();
        assert_eq!(names, ["store_lib_dirs"]);
        let out = render(t, &|_| "/a/lib".into());
        assert!(out.starts_with(r#"export LD_LIBRARY_PATH="/a/lib${LD_LIBRARY_PATH:+"#));
    }

    #[test]
    fn unknown_placeholders_are_reported() {
        assert_eq!(first_unknown("{library} {nope}"), Some("nope"));
        assert_eq!(first_unknown("{library}"), None);
    }
}
