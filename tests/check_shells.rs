//! Shells that set `LD_LIBRARY_PATH` (devenv, direnv, nix-shell): the Nix-like venv with numpy
//! imports only because the test puts gcc's and zlib's store dirs on `LD_LIBRARY_PATH`, as such
//! a shell would, with the variables and files each tool leaves (`DEVENV_ROOT` and
//! `devenv.nix`; `DIRENV_DIR`, `DIRENV_FILE` and `.envrc`; `IN_NIX_SHELL` and `shell.nix`).
//! `check` must pass (exit 0: the import works), say it works only because of that variable,
//! name what set it, and give that tool's fix; the `.envrc` line must really work.

#[path = "support/nixlike.rs"]
mod nixlike;

#[path = "check_common.rs"]
mod common;

use std::path::{Path, PathBuf};

use common::{Run, clean, fix};
use serde_json::Value;

struct Shell {
    python: PathBuf,
    store: PathBuf,
    /// gcc's and zlib's lib dirs, as the shell puts them on LD_LIBRARY_PATH.
    library_path: String,
    project: tempfile::TempDir,
}

fn shell() -> Option<Shell> {
    let python = nixlike::venv("numpy-2.3.2", &["numpy==2.3.2"])?;
    let gcc = nixlike::package_lib("gcc-12.2.0-lib")?;
    let zlib = nixlike::package_lib("zlib-1.2.13")?;
    Some(Shell {
        python,
        store: nixlike::store_dir(),
        library_path: format!("{}:{}", gcc.display(), zlib.display()),
        project: tempfile::tempdir().ok()?,
    })
}

impl Shell {
    fn dir(&self) -> &Path {
        self.project.path()
    }

    fn check(&self, vars: &[(&str, &str)], format: &str) -> Run {
        let mut envs = vec![
            ("NIX_STORE_DIR", self.store.to_str().unwrap()),
            ("LD_LIBRARY_PATH", self.library_path.as_str()),
        ];
        envs.extend_from_slice(vars);
        common::pydoctor(
            &[
                "check",
                "numpy",
                "--python",
                self.python.to_str().unwrap(),
                "--format",
                format,
                "--color",
                "never",
            ],
            &envs,
            self.dir(),
        )
    }

    /// The one advisory diagnosis of a passing check.
    fn advisory(&self, vars: &[(&str, &str)]) -> (Value, Value) {
        let run = self.check(vars, "json");
        assert_eq!(
            run.code, 0,
            "the import works: {}\n{}",
            run.stdout, run.stderr
        );
        let doc = run.json();
        assert_eq!(doc["status"], "ok", "an advisory does not fail the check");
        let diagnoses = doc["diagnoses"].as_array().unwrap();
        assert_eq!(diagnoses.len(), 1, "{diagnoses:#?}");
        let d = diagnoses[0].clone();
        assert_eq!(d["advisory"], true, "{d:#}");
        let mut libraries: Vec<&str> = d["libraries"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        libraries.sort_unstable();
        assert_eq!(libraries, ["libstdc++.so.6", "libz.so.1"], "{d:#}");
        (d, doc["environment"]["shell"].clone())
    }
}

/// The import without the shell's variable, as an IDE or a cron job runs it.
fn import_elsewhere(python: &Path) -> bool {
    let cwd = tempfile::tempdir().unwrap();
    clean(python, cwd.path())
        .args(["-c", "import numpy"])
        .output()
        .unwrap()
        .status
        .success()
}

#[test]
fn in_a_devenv_shell_the_import_works_only_through_its_ld_library_path_and_devenv_nix_is_named() {
    let Some(sh) = shell() else { return };
    assert!(
        !import_elsewhere(&sh.python),
        "outside the shell the import fails"
    );
    std::fs::write(sh.dir().join("devenv.nix"), "{ pkgs, ... }: { }\n").unwrap();
    let root = sh.dir().to_str().unwrap();
    let (d, shell) = sh.advisory(&[("DEVENV_ROOT", root), ("IN_NIX_SHELL", "impure")]);
    assert_eq!(d["rule"], "PD801", "{d:#}");
    assert_eq!(shell["tool"], "devenv", "{shell:#}");
    let devenv_nix = sh.dir().join("devenv.nix");
    assert_eq!(shell["file"], devenv_nix.to_str().unwrap(), "{shell:#}");
    assert!(
        d["explanation"]
            .as_str()
            .unwrap()
            .contains(devenv_nix.to_str().unwrap()),
        "{d:#}"
    );
    let snippet = fix(&d, "devenv-libraries")["snippet"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        snippet.contains("languages.python.libraries = with pkgs; [")
            && snippet.contains("stdenv.cc.cc.lib")
            && snippet.contains("zlib"),
        "{snippet}"
    );

    // The human report: the verdict first, then the warning with devenv's fix; exit 0.
    let human = sh.check(
        &[("DEVENV_ROOT", root), ("IN_NIX_SHELL", "impure")],
        "human",
    );
    assert_eq!(human.code, 0, "{}", human.stdout);
    let first = human.stdout.lines().next().unwrap();
    assert!(
        first.starts_with("✓ numpy imports fine"),
        "{}",
        human.stdout
    );
    assert!(
        human
            .stdout
            .contains("! warning: the import works only with this devenv shell's"),
        "{}",
        human.stdout
    );
    assert!(
        !human
            .stdout
            .contains("is found only through LD_LIBRARY_PATH"),
        "the advisory replaces the bare warnings: {}",
        human.stdout
    );
    // In GitHub annotations an advisory is a warning, never an error.
    let github = sh.check(&[("DEVENV_ROOT", root)], "github");
    assert_eq!(github.code, 0, "{}", github.stdout);
    assert!(
        github.stdout.contains("::warning ") && github.stdout.contains("PD801"),
        "{}",
        github.stdout
    );
    assert!(!github.stdout.contains("::error "), "{}", github.stdout);
}

#[test]
fn in_a_direnv_shell_the_envrc_is_named_and_its_line_makes_the_import_work() {
    let Some(sh) = shell() else { return };
    let envrc = sh.dir().join(".envrc");
    std::fs::write(&envrc, "use nix\n").unwrap();
    let dir = format!("-{}", sh.dir().display());
    let (d, shell) = sh.advisory(&[
        ("DIRENV_DIR", dir.as_str()),
        ("DIRENV_FILE", envrc.to_str().unwrap()),
    ]);
    assert_eq!(d["rule"], "PD802", "{d:#}");
    assert_eq!(shell["tool"], "direnv", "{shell:#}");
    assert_eq!(shell["file"], envrc.to_str().unwrap(), "{shell:#}");
    assert!(d["summary"].as_str().unwrap().contains(".envrc"), "{d:#}");
    let snippet = fix(&d, "ld-library-path")["snippet"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(snippet.starts_with("# .envrc"), "{snippet}");
    // The line, sourced by a shell that has no LD_LIBRARY_PATH, makes the import work.
    std::fs::write(&envrc, &snippet).unwrap();
    let out = clean("sh", sh.dir())
        .arg("-c")
        .arg(". ./.envrc && exec \"$0\" -c 'import numpy'")
        .arg(&sh.python)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn in_a_nix_shell_its_shell_nix_is_named() {
    let Some(sh) = shell() else { return };
    std::fs::write(
        sh.dir().join("shell.nix"),
        "{ pkgs ? import <nixpkgs> { } }: { }\n",
    )
    .unwrap();
    let (d, shell) = sh.advisory(&[("IN_NIX_SHELL", "impure")]);
    assert_eq!(d["rule"], "PD803", "{d:#}");
    assert_eq!(shell["tool"], "nix-shell", "{shell:#}");
    let shell_nix = sh.dir().join("shell.nix");
    assert_eq!(shell["file"], shell_nix.to_str().unwrap(), "{shell:#}");
    assert!(
        d["explanation"]
            .as_str()
            .unwrap()
            .contains(shell_nix.to_str().unwrap()),
        "{d:#}"
    );
}

#[test]
fn an_ld_library_path_from_no_known_tool_is_still_called_fragile() {
    let Some(sh) = shell() else { return };
    let (d, shell) = sh.advisory(&[]);
    assert_eq!(d["rule"], "PD804", "{d:#}");
    assert_eq!(shell, Value::Null);
    let snippet = fix(&d, "ld-library-path")["snippet"].as_str().unwrap();
    assert!(snippet.contains("gcc-12.2.0-lib/lib"), "{snippet}");
    // Without the variable, the same check fails: the advisory told the truth.
    let cwd = tempfile::tempdir().unwrap();
    let run = common::pydoctor(
        &["check", "numpy", "--python", sh.python.to_str().unwrap()],
        &[("NIX_STORE_DIR", sh.store.to_str().unwrap())],
        cwd.path(),
    );
    assert_eq!(run.code, 1, "{}", run.stdout);
}
