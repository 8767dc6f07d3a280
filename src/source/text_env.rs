//! Environment facts a paste shows beyond its paths' python layout: the interpreter named by
//! numpy's report or a banner, the architecture in file names, the distribution family, a
//! Nix-built application or package in the store, and the tool that made the venv.
//!
//! Owns only filling gaps in an [`Environment`] already inferred from paths (see
//! `text_evidence::infer_environment`); every fact stays marked inferred-from-text.

use std::path::Path;
use std::sync::OnceLock;

use regex::Regex;

use super::paste::truncate_at_char;
use crate::catalog::causes::CauseTables;
use crate::env::classify::{nix_python_attribute, python_kind_of_path};
use crate::env::nix_env::is_env_entry;
use crate::evidence::{Environment, LoaderFlavor, NixEnvFacts, Platform, PythonKind};

/// How much of one line these patterns look at.
const MAX_LINE: usize = 2048;

/// The interpreter as numpy (`The Python version is: Python3.11 from "/usr/bin/python"`), uv
/// (`Using CPython 3.12.1 interpreter at: /p/bin/python3`) or the REPL banner name it.
fn interpreter_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r#"The Python version is: Python ?(?P<v1>3\.\d+(?:\.\d+)?) from "(?P<exe1>[^"]+)"|Using (?:CPython|Python) (?P<v2>3\.\d+\.\d+)\S* interpreter at: (?P<exe2>\S+)|^Python (?P<v3>3\.\d+\.\d+)\S* \("#,
        )
        .expect("static regex")
    })
}

fn arch_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"(?:^|[^A-Za-z0-9])(?P<arch>x86_64|aarch64|arm64|armv7l|armv8l|i686|ppc64le|s390x)(?:$|[^A-Za-z0-9])",
        )
        .expect("static regex")
    })
}

/// Commands and paths that show uv at work (`uv run`, `uv pip install`, uv's cache).
fn uv_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"(?:^|[\s$>`])uv (?:run|sync|pip|venv|add|tool)(?-u:\b)|/\.cache/uv/|/share/uv/",
        )
        .expect("static regex")
    })
}

/// Windows drive paths and banners; macOS file names, framework paths and banners.
fn platform_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r#"(?P<windows>(?:^|[\s"'(~])[A-Za-z]:\\|\] on win32$|\.pyd(?-u:\b))|(?P<macos>-darwin\.so|\.dylib(?-u:\b)|/Library/Frameworks/Python\.framework/|\] on darwin$)"#,
        )
        .expect("static regex")
    })
}

/// Path markers of venv tools (the venv directories they create).
const VENV_TOOLS: &[(&str, &str)] = &[
    ("/pypoetry/virtualenvs/", "poetry"),
    ("/.local/share/virtualenvs/", "pipenv"),
    ("/hatch/env/", "hatch"),
    ("/__pypackages__/", "pdm"),
    ("/.tox/", "tox"),
    ("/.nox/", "nox"),
];

/// Fill what the paths alone did not tell.
pub fn add_hints(lines: &[String], paths: &[String], env: &mut Environment, store_dir: &str) {
    let lines: Vec<&str> = lines
        .iter()
        .map(|l| truncate_at_char(l, MAX_LINE))
        .collect();
    interpreter(&lines, env, store_dir);
    env.os.arch = lines
        .iter()
        .find_map(|l| arch_regex().captures(l).map(|c| c["arch"].to_string()));
    let causes = CauseTables::builtin();
    if lines.iter().any(|l| causes.shows_musl_build(l)) {
        env.python.loader_flavor = LoaderFlavor::Musl;
    }
    // A Linux path in the text (WSL, a cross build) leaves the platform to the messages.
    if env.os.platform.is_none() && !paths.iter().any(|p| causes.is_linux_path(p)) {
        env.os.platform = platform(&lines);
    }
    env.os.distro = distro(paths, env);
    env.python.nix_app = nix_app(paths, store_dir);
    env.nix_env = nix_env(paths, store_dir);
    env.python.venv_tool = venv_tool(&lines, paths, env);
}

fn interpreter(lines: &[&str], env: &mut Environment, store_dir: &str) {
    let Some(caps) = lines.iter().find_map(|l| interpreter_regex().captures(l)) else {
        return;
    };
    let python = &mut env.python;
    let version = ["v1", "v2", "v3"].iter().find_map(|n| caps.name(n));
    let exe = ["exe1", "exe2"].iter().find_map(|n| caps.name(n));
    if python.executable.is_none()
        && let Some(exe) = exe
    {
        python.executable = Some(exe.as_str().to_string());
        if python.kind == PythonKind::Unknown {
            python.kind = python_kind_of_path(exe.as_str(), store_dir);
        }
    }
    // The interpreter's own word outranks a version read from paths (an extension's
    // `cpython-310` tag says what it was built for), unless the paths say the same, closer.
    let better = |v: &str| {
        python
            .version
            .as_ref()
            .is_none_or(|have| !have.starts_with(v))
    };
    if let Some(v) = version.map(|m| m.as_str())
        && better(v)
    {
        python.version = Some(v.to_string());
        python.nix_attribute = nix_python_attribute(v);
    }
}

/// The platform the text's paths and banners show, when no loader message did.
fn platform(lines: &[&str]) -> Option<Platform> {
    let caps = lines.iter().find_map(|l| platform_regex().captures(l))?;
    Some(if caps.name("windows").is_some() {
        Platform::Windows
    } else {
        Platform::Macos
    })
}

/// The distribution family the paths point to.
fn distro(paths: &[String], env: &Environment) -> Option<String> {
    let any = |m: &str| paths.iter().any(|p| p.contains(m));
    let musl_loader = paths
        .iter()
        .any(|p| CauseTables::builtin().is_musl_loader(p));
    let name = if env.os.nixos == Some(true) {
        "nixos"
    } else if env.python.loader_flavor == LoaderFlavor::Musl || musl_loader {
        "alpine"
    } else if any("/dist-packages/")
        || any("/usr/lib/x86_64-linux-gnu/")
        || any("/usr/lib/aarch64-linux-gnu/")
    {
        "debian"
    } else if any("/usr/lib64/") || paths.iter().any(|p| p.starts_with("/lib64/lib")) {
        "fedora"
    } else {
        return None;
    };
    Some(name.to_string())
}

/// The store entry of Python code built by Nix (`/nix/store/…-python3.10-someapp-1.0`): a
/// `site-packages` in the store, which pip cannot change. A `withPackages` env (`…-env`) is
/// no application: its packages are the user's list.
fn nix_app(paths: &[String], store_dir: &str) -> Option<String> {
    store_site_packages_entries(paths, store_dir).find(|e| !is_env(e, store_dir))
}

fn is_env(entry: &str, store_dir: &str) -> bool {
    is_env_entry(Path::new(entry), Path::new(store_dir.trim_end_matches('/')))
}

/// The `withPackages` env whose site-packages the text's paths lie in; what the text cannot
/// show (its packages, its wrapper) stays unknown.
fn nix_env(paths: &[String], store_dir: &str) -> Option<NixEnvFacts> {
    let path = store_site_packages_entries(paths, store_dir).find(|e| is_env(e, store_dir))?;
    Some(NixEnvFacts {
        path,
        layout: "unknown".into(),
        ..NixEnvFacts::default()
    })
}

/// The store entries (`/nix/store/<hash>-name`) of the text's paths under a `site-packages`.
fn store_site_packages_entries<'p>(
    paths: &'p [String],
    store_dir: &str,
) -> impl Iterator<Item = String> + 'p {
    let store = format!("{}/", store_dir.trim_end_matches('/'));
    paths.iter().filter_map(move |p| {
        let rest = p.strip_prefix(&store)?;
        if !p.contains("/site-packages/") {
            return None;
        }
        let entry = rest.split('/').next()?;
        Some(format!("{store}{entry}"))
    })
}

fn venv_tool(lines: &[&str], paths: &[String], env: &Environment) -> Option<String> {
    let by_path = VENV_TOOLS
        .iter()
        .find(|(marker, _)| paths.iter().any(|p| p.contains(marker)))
        .map(|(_, tool)| tool.to_string());
    by_path
        .or_else(|| {
            lines
                .iter()
                .any(|l| uv_regex().is_match(l))
                .then(|| "uv".to_string())
        })
        .or_else(|| (env.python.kind == PythonKind::Conda).then(|| "conda".to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::text_evidence::{Implied, infer_environment, paths_in};

    fn env_of(text: &str) -> Environment {
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        let paths = paths_in(&lines);
        let mut env = infer_environment(&paths, &Implied::default(), "/nix/store");
        add_hints(&lines, &paths, &mut env, "/nix/store");
        env
    }

    #[test]
    fn numpy_names_the_interpreter_and_debian_shows_in_dist_packages() {
        let env = env_of(
            "  * The Python version is: Python3.11 from \"/usr/bin/python\"\n  File \"/usr/lib/python3/dist-packages/numpy/core/__init__.py\", line 22, in <module>\nImportError: /usr/lib/python3/dist-packages/numpy/core/_m.cpython-310-x86_64-linux-gnu.so: x",
        );
        assert_eq!(env.python.executable.as_deref(), Some("/usr/bin/python"));
        assert_eq!(env.python.version.as_deref(), Some("3.11"));
        assert_eq!(env.python.kind, PythonKind::System);
        assert_eq!(env.os.distro.as_deref(), Some("debian"));
        assert_eq!(env.os.arch.as_deref(), Some("x86_64"));
    }

    #[test]
    fn a_nix_built_application_and_a_uv_project_are_told() {
        let env = env_of(
            "  File \"/nix/store/0123456789abcdfghijklmnpqrsvwxyz-python3.10-someapp-1.0/lib/python3.10/site-packages/someapp/cli.py\", line 3, in <module>",
        );
        assert_eq!(
            env.python.nix_app.as_deref(),
            Some("/nix/store/0123456789abcdfghijklmnpqrsvwxyz-python3.10-someapp-1.0")
        );
        // A withPackages env is the user's package list, not an application Nix built.
        let env = env_of(
            "  File \"/nix/store/0123456789abcdfghijklmnpqrsvwxyz-python3-3.12.8-env/lib/python3.12/site-packages/mypkg/cli.py\", line 3, in <module>",
        );
        assert_eq!(env.python.nix_app, None);
        assert_eq!(
            env.nix_env.map(|e| e.path).as_deref(),
            Some("/nix/store/0123456789abcdfghijklmnpqrsvwxyz-python3-3.12.8-env")
        );
        let env = env_of(
            "$ uv run python -c 'import numpy'\n  File \"/p/.venv/lib/python3.12/site-packages/numpy/__init__.py\", line 1",
        );
        assert_eq!(env.python.venv_tool.as_deref(), Some("uv"));
        let env = env_of(
            "  File \"/home/u/.cache/pypoetry/virtualenvs/p-x-py3.11/lib/python3.11/site-packages/a.py\", line 1",
        );
        assert_eq!(env.python.venv_tool.as_deref(), Some("poetry"));
    }

    #[test]
    fn windows_and_macos_show_in_paths() {
        let env = env_of(
            "  File \"C:\\Users\\u\\site-packages\\torch\\__init__.py\", line 1, in <module>",
        );
        assert_eq!(env.os.platform, Some(Platform::Windows));
        let env = env_of("ImportError: dlopen(/Users/u/x/_m.cpython-311-darwin.so, 2): y");
        assert_eq!(env.os.platform, Some(Platform::Macos));
        assert_eq!(env_of("ImportError: /a/x.so: y").os.platform, None);
    }

    #[test]
    fn musl_tags_make_alpine() {
        let env = env_of(
            "ImportError: /usr/local/lib/python3.11/site-packages/x/_m.cpython-311-x86_64-linux-musl.so: y",
        );
        assert_eq!(env.python.loader_flavor, LoaderFlavor::Musl);
        assert_eq!(env.os.distro.as_deref(), Some("alpine"));
    }

    #[test]
    fn a_musllinux_wheel_or_musl_loader_path_shows_musl_as_the_cause_table_says() {
        let env = env_of("Processing ./numpy-2.0.0-cp312-cp312-musllinux_1_2_x86_64.whl");
        assert_eq!(env.python.loader_flavor, LoaderFlavor::Musl);
        let env = env_of("Error loading shared library /lib/ld-musl-x86_64.so.1: x");
        assert_eq!(env.os.distro.as_deref(), Some("alpine"));
    }
}
