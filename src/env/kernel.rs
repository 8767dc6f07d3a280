//! Jupyter kernelspecs: which python a kernel runs, and what environment it adds.
//!
//! A kernelspec is `kernels/NAME/kernel.json` under one of Jupyter's data directories, searched
//! in jupyter_core's order: `$JUPYTER_PATH`, the user's data dir (`$JUPYTER_DATA_DIR`, else
//! `$XDG_DATA_HOME/jupyter`, else `~/.local/share/jupyter`), the python environment's
//! `share/jupyter`, then `/usr/local/share/jupyter` and `/usr/share/jupyter`; the first
//! directory that has the name wins, and names are matched without case. When a `jupyter` is on
//! PATH, its own `jupyter kernelspec list --json` is asked first: a Nix-built Jupyter sets its
//! kernel path inside its wrapper, where no variable shows it.
//!
//! `argv[0]` of `python`, `python3` or `python3.N` is not looked up on PATH by Jupyter: its
//! kernel manager runs such a kernel with the python that runs the Jupyter server itself.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde::Deserialize;

use super::Settings;
use crate::error::{Error, Result};
use crate::process::stdout_within;

/// How long `jupyter kernelspec list` may take (it starts a python).
const LIST_LIMIT: Duration = Duration::from_secs(15);

/// One kernelspec, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kernelspec {
    /// The kernel's name (its directory's name).
    pub name: String,
    /// Its `kernel.json`.
    pub file: PathBuf,
    pub display_name: Option<String>,
    /// `argv[0]` as written.
    pub program: String,
    /// The variables `env` of kernel.json sets for the kernel.
    pub env: BTreeMap<String, String>,
    /// A kernelspec of this name written to the user's data dir (`ipykernel install --user`)
    /// would take its place: it is there already, or in a directory Jupyter searches later.
    pub user_overrides: bool,
}

#[derive(Debug, Deserialize)]
struct KernelJson {
    #[serde(default)]
    argv: Vec<String>,
    display_name: Option<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
struct ListJson {
    kernelspecs: BTreeMap<String, ListEntry>,
}

#[derive(Debug, Deserialize)]
struct ListEntry {
    resource_dir: PathBuf,
}

/// The kernelspec called `name`; `prefixes` are python environments whose `share/jupyter` is
/// searched after the user's data dir (the venv and the python a kernel would come from).
pub fn find(name: &str, settings: &Settings, prefixes: &[PathBuf]) -> Result<Kernelspec> {
    let listed = jupyter_list(settings);
    let dirs = data_dirs(settings, prefixes);
    let wanted = name.to_lowercase();
    let from_list = listed
        .as_ref()
        .and_then(|l| l.get(&wanted))
        .map(|dir| dir.join("kernel.json"));
    let file = from_list.or_else(|| {
        dirs.iter()
            .map(|d| d.join("kernels").join(&wanted).join("kernel.json"))
            .find(|f| f.is_file())
    });
    let Some(file) = file else {
        return Err(not_found(name, &dirs, listed.as_ref(), settings));
    };
    let mut spec = read(&wanted, &file)?;
    let rank = |dir: &Path| dirs.iter().position(|d| dir.starts_with(d));
    spec.user_overrides = match (rank(&file), user_dir(settings).and_then(|u| rank(&u))) {
        (Some(found), Some(user)) => found >= user,
        _ => false,
    };
    Ok(spec)
}

/// Jupyter's data directories, in its order of precedence.
pub fn data_dirs(settings: &Settings, prefixes: &[PathBuf]) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Some(list) = &settings.jupyter_path {
        dirs.extend(list.split(':').filter(|p| !p.is_empty()).map(PathBuf::from));
    }
    dirs.extend(user_dir(settings));
    dirs.extend(prefixes.iter().map(|p| p.join("share/jupyter")));
    dirs.extend(["/usr/local/share/jupyter", "/usr/share/jupyter"].map(PathBuf::from));
    let mut seen = std::collections::HashSet::new();
    dirs.retain(|d| seen.insert(d.clone()));
    dirs
}

/// The user's Jupyter data dir, where `--user` installs go.
fn user_dir(settings: &Settings) -> Option<PathBuf> {
    settings
        .jupyter_data_dir
        .as_ref()
        .map(PathBuf::from)
        .or_else(|| {
            let data = settings
                .xdg_data_home
                .as_ref()
                .map(PathBuf::from)
                .or_else(|| Some(Path::new(settings.home.as_ref()?).join(".local/share")))?;
            Some(data.join("jupyter"))
        })
}

/// What `jupyter kernelspec list --json` of the `jupyter` on PATH says (name → directory).
fn jupyter_list(settings: &Settings) -> Option<BTreeMap<String, PathBuf>> {
    let jupyter = settings.search_path("jupyter")?;
    let mut command = Command::new(jupyter);
    command
        .args(["kernelspec", "list", "--json"])
        .current_dir(&settings.cwd);
    let out = stdout_within(command, LIST_LIMIT)?;
    let list: ListJson = serde_json::from_str(&out).ok()?;
    Some(
        list.kernelspecs
            .into_iter()
            .map(|(name, entry)| (name.to_lowercase(), entry.resource_dir))
            .collect(),
    )
}

fn read(name: &str, file: &Path) -> Result<Kernelspec> {
    let text = read_small(file, 1 << 20).map_err(|e| Error::io(file, e))?;
    let spec: KernelJson = serde_json::from_str(&text)
        .map_err(|e| Error::Usage(format!("{}: not a kernelspec ({e})", file.display())))?;
    let program = spec
        .argv
        .first()
        .cloned()
        .ok_or_else(|| Error::Usage(format!("{}: its argv is empty", file.display())))?;
    Ok(Kernelspec {
        name: name.to_string(),
        file: file.to_path_buf(),
        display_name: spec.display_name,
        program,
        env: spec.env,
        user_overrides: false,
    })
}

fn not_found(
    name: &str,
    dirs: &[PathBuf],
    listed: Option<&BTreeMap<String, PathBuf>>,
    settings: &Settings,
) -> Error {
    let mut names: Vec<String> = listed
        .map(|l| l.keys().cloned().collect())
        .unwrap_or_default();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir.join("kernels")) else {
            continue;
        };
        names.extend(
            entries
                .flatten()
                .filter(|e| e.path().join("kernel.json").is_file())
                .map(|e| e.file_name().to_string_lossy().to_lowercase()),
        );
    }
    names.sort();
    names.dedup();
    let known = if names.is_empty() {
        "none found".to_string()
    } else {
        format!("found: {}", names.join(", "))
    };
    let asked = if settings.search_path("jupyter").is_some() {
        "`jupyter kernelspec list` and "
    } else {
        ""
    };
    Error::Usage(format!(
        "--kernel {name}: no such Jupyter kernel ({known}; looked in {asked}{})",
        dirs.iter()
            .map(|d| d.join("kernels").display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// The python a kernel whose `argv[0]` is `program` runs: a path as written (relative to the
/// kernel's directory's cwd, which Jupyter does not change: the user's cwd), and a bare
/// `python`/`python3`/`python3.N` the python of the Jupyter on PATH (its script's `#!` line),
/// else that name on PATH.
pub fn python_of(spec: &Kernelspec, settings: &Settings) -> Option<PathBuf> {
    let program = spec.program.as_str();
    if program.contains('/') {
        return Some(settings.resolve(Path::new(program)));
    }
    if is_bare_python(program) {
        let jupyter_python = settings
            .search_path("jupyter")
            .and_then(|j| shebang_program(&j, settings));
        if let Some(python) = jupyter_python {
            return Some(python);
        }
    }
    settings.search_path(program)
}

fn is_bare_python(program: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    match program.strip_prefix("python") {
        Some("") => true,
        Some(version) => match version.split_once('.') {
            Some((major, minor)) => digits(major) && digits(minor),
            None => digits(version),
        },
        None => false,
    }
}

/// A small text file (a kernel.json, a script's first line); never a FIFO or a device.
fn read_small(path: &Path, limit: u64) -> std::io::Result<String> {
    use std::io::Read;
    let (file, meta) = crate::fsio::open_no_fifo(path)?;
    if !meta.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    let mut bytes = Vec::new();
    file.take(limit).read_to_end(&mut bytes)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The python a script's `#!` line runs (`#!/usr/bin/python3`, `#!/usr/bin/env python3`);
/// None for a wrapper that runs a shell, whose python cannot be told from outside.
fn shebang_program(script: &Path, settings: &Settings) -> Option<PathBuf> {
    let head = read_small(script, 512).ok()?;
    let mut words = head.lines().next()?.strip_prefix("#!")?.split_whitespace();
    let mut program = PathBuf::from(words.next()?);
    if program.file_name().is_some_and(|n| n == "env") {
        program = settings.search_path(words.next()?)?;
    }
    let is_python = program
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with("python"));
    (program.is_absolute() && is_python).then_some(program)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(jupyter_path: &Path, home: &Path) -> Settings {
        Settings {
            cwd: PathBuf::from("/"),
            jupyter_path: Some(jupyter_path.display().to_string()),
            home: Some(home.display().to_string()),
            ..Settings::default()
        }
    }

    fn write_kernel(dir: &Path, name: &str, json: &str) {
        let k = dir.join("kernels").join(name);
        std::fs::create_dir_all(&k).unwrap();
        std::fs::write(k.join("kernel.json"), json).unwrap();
    }

    #[test]
    fn jupyter_path_comes_before_the_user_dir_and_names_ignore_case() {
        let tmp = tempfile::tempdir().unwrap();
        let (jp, home) = (tmp.path().join("jp"), tmp.path().join("home"));
        write_kernel(
            &jp,
            "ml",
            r#"{"argv": ["/opt/a/bin/python", "-m", "ipykernel_launcher"], "env": {"X": "1"}}"#,
        );
        write_kernel(
            &home.join(".local/share/jupyter"),
            "ml",
            r#"{"argv": ["/opt/b/bin/python"]}"#,
        );
        let spec = find("ML", &settings(&jp, &home), &[]).unwrap();
        assert_eq!(spec.program, "/opt/a/bin/python");
        assert_eq!(spec.env.get("X").map(String::as_str), Some("1"));
        assert!(
            !spec.user_overrides,
            "JUPYTER_PATH wins over the user's data dir"
        );
        std::fs::remove_dir_all(jp.join("kernels/ml")).unwrap();
        let spec = find("ml", &settings(&jp, &home), &[]).unwrap();
        assert_eq!(spec.program, "/opt/b/bin/python");
        assert!(spec.user_overrides);
    }

    #[test]
    fn a_missing_kernel_names_the_ones_there_are() {
        let tmp = tempfile::tempdir().unwrap();
        let (jp, home) = (tmp.path().join("jp"), tmp.path().join("home"));
        write_kernel(&jp, "python3", r#"{"argv": ["python"]}"#);
        let err = find("nope", &settings(&jp, &home), &[])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("no such Jupyter kernel (found: python3;"),
            "{err}"
        );
    }

    #[test]
    fn a_kernel_json_that_is_not_one_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        let (jp, home) = (tmp.path().join("jp"), tmp.path().join("home"));
        write_kernel(&jp, "bad", "{ not json");
        write_kernel(&jp, "empty", r#"{"argv": []}"#);
        let s = settings(&jp, &home);
        assert!(
            find("bad", &s, &[])
                .unwrap_err()
                .to_string()
                .contains("not a kernelspec")
        );
        assert!(
            find("empty", &s, &[])
                .unwrap_err()
                .to_string()
                .contains("argv is empty")
        );
    }

    #[test]
    fn bare_python_names_are_the_servers_python() {
        assert!(is_bare_python("python"));
        assert!(is_bare_python("python3"));
        assert!(is_bare_python("python3.11"));
        assert!(!is_bare_python("python3x"));
        assert!(!is_bare_python("pythonista"));
    }
}
