//! The environment a text's paths show: the interpreter (`/nix/store/…-python3-3.12.4/`,
//! `~/.pyenv/versions/…`), its version (`/lib/python3.12/`, `cpython-312`), the venv, and the
//! loader flavour they imply. Every fact is marked inferred-from-text; `text_env` adds what
//! the other lines tell.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::OnceLock;

use regex::Regex;

use super::paste::truncate_at_char;
use super::text_evidence::{Implied, MAX_PATTERN_LINE};
use crate::env::classify::{nix_python_attribute, python_kind_of_path};
use crate::env::nix_env::is_env_entry;
use crate::evidence::{EnvSource, Environment, LoaderFlavor, PythonKind};

fn path_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r#"(?:^|[\s"'(=:])(/[^\s"'(),:;`]+)"#).expect("static regex"))
}

fn version_regexes() -> &'static [Regex; 4] {
    static RE: OnceLock<[Regex; 4]> = OnceLock::new();
    RE.get_or_init(|| {
        [
            // Full versions from install directories: nix store, pyenv, uv/python-build-standalone.
            Regex::new(r"-python3?-(3\.\d+\.\d+\w*)/").expect("static regex"),
            Regex::new(r"/versions/(3\.\d+\.\d+\w*)/").expect("static regex"),
            Regex::new(r"/cpython-(3\.\d+\.\d+\w*)-").expect("static regex"),
            // Minor versions from the stdlib layout and extension tags.
            Regex::new(r"/lib/python(3\.\d+)t?/|cpython-3(\d{1,2})[-\w]*\.so")
                .expect("static regex"),
        ]
    })
}

/// Every absolute path in the lines (bounded per line).
pub fn paths_in(lines: &[String]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for line in lines {
        let line = truncate_at_char(line, MAX_PATTERN_LINE);
        if !line.contains('/') {
            continue;
        }
        for caps in path_regex().captures_iter(line) {
            let path = caps[1].trim_end_matches(['.', '\'']).to_string();
            if seen.insert(path.clone()) {
                out.push(path);
            }
        }
    }
    out
}

/// The environment as far as the text shows it.
pub fn infer_environment(paths: &[String], implied: &Implied, store_dir: &str) -> Environment {
    let mut env = Environment {
        source: EnvSource::InferredFromText,
        ..Environment::default()
    };
    let python = &mut env.python;
    python.executable = paths.iter().find(|p| is_python_executable(p)).cloned();
    let (stdlib_prefix, site_prefix) = prefixes(paths);
    python.venv = venv_of(paths, stdlib_prefix.as_deref(), site_prefix.as_deref())
        // An older withPackages env adds its site-packages through NIX_PYTHONPATH, away from
        // the stdlib's prefix, yet it is no venv.
        .filter(|v| !is_env_entry(Path::new(v), Path::new(store_dir)));
    python.base_prefix = stdlib_prefix.clone();
    python.kind = kind_from(
        paths,
        python.executable.as_deref(),
        stdlib_prefix.as_deref(),
        store_dir,
    );
    python.version = version_from(paths);
    if let Some(version) = &python.version {
        python.nix_attribute = nix_python_attribute(version);
    }
    python.loader_flavor = if implied.musl {
        LoaderFlavor::Musl
    } else {
        match python.kind {
            PythonKind::NixStore => LoaderFlavor::NixGlibc,
            PythonKind::Pyenv | PythonKind::UvManaged | PythonKind::Conda | PythonKind::System => {
                LoaderFlavor::FhsGlibc
            }
            PythonKind::Unknown => LoaderFlavor::Unknown,
        }
    };
    let store = store_dir.trim_end_matches('/');
    let in_store = paths.iter().any(|p| p.starts_with(&format!("{store}/")));
    if in_store {
        env.store_dir = Some(store.to_string());
    }
    if implied.nixos || paths.iter().any(|p| p.starts_with("/run/current-system/")) {
        env.os.nixos = Some(true);
    }
    env.os.platform = implied.platform;
    env
}

fn is_python_executable(path: &str) -> bool {
    let Some((dir, name)) = path.rsplit_once('/') else {
        return false;
    };
    dir.ends_with("/bin")
        && name.starts_with("python")
        && name[6..].chars().all(|c| c.is_ascii_digit() || c == '.')
}

/// (stdlib prefix, site-packages prefix) from `<prefix>/lib/python3.X/…` paths.
fn prefixes(paths: &[String]) -> (Option<String>, Option<String>) {
    let mut stdlib = None;
    let mut site = None;
    for path in paths {
        let Some(at) = path.find("/lib/python3") else {
            continue;
        };
        let prefix = path[..at].to_string();
        let rest = &path[at + "/lib/".len()..];
        let in_site = rest.contains("/site-packages/") || rest.contains("/dist-packages/");
        if in_site {
            site.get_or_insert(prefix);
        } else if !prefix.is_empty() {
            stdlib.get_or_insert(prefix);
        }
    }
    (stdlib, site)
}

/// A venv is a site-packages prefix that is not the stdlib's, or one named like a venv.
fn venv_of(paths: &[String], stdlib: Option<&str>, site: Option<&str>) -> Option<String> {
    if let Some(site) = site {
        let differs = stdlib.is_some_and(|s| s != site);
        let named = ["/.venv", "/venv", "/virtualenvs/", "/.tox/", "/.nox/"]
            .iter()
            .any(|m| site.contains(m));
        if differs || named {
            return Some(site.to_string());
        }
    }
    // `…/.venv/bin/python` with no site-packages path in the text.
    paths
        .iter()
        .filter(|p| is_python_executable(p))
        .find_map(|p| {
            let prefix = p.rsplit_once("/bin/")?.0;
            (prefix.ends_with("/.venv") || prefix.ends_with("/venv")).then(|| prefix.to_string())
        })
}

fn kind_from(
    paths: &[String],
    executable: Option<&str>,
    stdlib: Option<&str>,
    store_dir: &str,
) -> PythonKind {
    let candidates = executable
        .into_iter()
        .chain(stdlib)
        .map(str::to_string)
        .chain(paths.iter().filter(|p| p.contains("/lib/python3")).cloned());
    for candidate in candidates {
        let kind = python_kind_of_path(&candidate, store_dir);
        if kind != PythonKind::Unknown {
            return kind;
        }
    }
    PythonKind::Unknown
}

/// The most precise Python version the paths show (3.12.4 over 3.12).
fn version_from(paths: &[String]) -> Option<String> {
    let [nix, pyenv, uv, minor] = version_regexes();
    for re in [nix, pyenv, uv] {
        for path in paths {
            if let Some(caps) = re.captures(path) {
                return Some(caps[1].to_string());
            }
        }
    }
    paths.iter().find_map(|path| {
        let caps = minor.captures(path)?;
        if let Some(v) = caps.get(1) {
            return Some(v.as_str().to_string());
        }
        caps.get(2).map(|m| format!("3.{}", m.as_str()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_string).collect()
    }

    #[test]
    fn an_older_withpackages_env_is_no_venv() {
        // Its site-packages comes through NIX_PYTHONPATH, away from the stdlib's prefix.
        let paths = vec![
            "/nix/store/abc-python3-3.10.4/lib/python3.10/runpy.py".to_string(),
            "/nix/store/def-python3-3.10.4-env/lib/python3.10/site-packages/k/__main__.py"
                .to_string(),
        ];
        let env = infer_environment(&paths, &Implied::default(), "/nix/store");
        assert_eq!(env.python.venv, None);
        assert_eq!(env.python.kind, PythonKind::NixStore);
    }

    #[test]
    fn nix_store_paths_give_a_nix_python_and_its_version() {
        let paths = vec![
            "/nix/store/abc-python3-3.12.4/lib/python3.12/importlib/__init__.py".to_string(),
            "/home/u/p/.venv/lib/python3.12/site-packages/numpy/__init__.py".to_string(),
        ];
        let env = infer_environment(&paths, &Implied::default(), "/nix/store");
        assert_eq!(env.source, EnvSource::InferredFromText);
        assert_eq!(env.python.kind, PythonKind::NixStore);
        assert_eq!(env.python.version.as_deref(), Some("3.12.4"));
        assert_eq!(env.python.venv.as_deref(), Some("/home/u/p/.venv"));
        assert_eq!(env.python.nix_attribute.as_deref(), Some("python312"));
        assert_eq!(env.python.loader_flavor, LoaderFlavor::NixGlibc);
        assert_eq!(env.store_dir.as_deref(), Some("/nix/store"));
    }

    #[test]
    fn pyenv_and_extension_tags_give_versions() {
        let paths = paths_in(&lines(
            "  File \"/home/u/.pyenv/versions/3.11.7/lib/python3.11/ctypes/__init__.py\", line 376, in __init__",
        ));
        let env = infer_environment(&paths, &Implied::default(), "/nix/store");
        assert_eq!(env.python.kind, PythonKind::Pyenv);
        assert_eq!(env.python.version.as_deref(), Some("3.11.7"));
        let paths = paths_in(&lines(
            "ImportError: /x/m.cpython-312-x86_64-linux-gnu.so: undefined symbol: f",
        ));
        let env = infer_environment(&paths, &Implied::default(), "/nix/store");
        assert_eq!(env.python.version.as_deref(), Some("3.12"));
    }
}
