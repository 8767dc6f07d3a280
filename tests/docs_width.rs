//! The human output fits an 80-column terminal.
//!
//! The main outputs are rendered with `COLUMNS=80` and every line is measured (in characters;
//! every character pydoctor prints, box drawing and marks included, is one column wide).
//! A line may be wider than 80 columns only when it cannot be broken:
//! - it is a line of a fix's snippet (the lines indented six spaces under `help N:`, before
//!   its `note:`), which is meant to be copied and run as it is; or
//! - it holds a path (a word containing `/`) and would fit without that one word: a path is
//!   never broken, so that it can be copied.
//!
//! Every other line — prose, verdicts, labels, table rows — must be at most 80 columns.

#[path = "support/nixlike.rs"]
mod nixlike;

use std::path::Path;
use std::process::Command;

const WIDTH: usize = 80;
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn pydoctor(args: &[&str], cwd: &Path, vars: &[(&str, &Path)]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_pydoctor"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("NO_COLOR", "1")
        .env("COLUMNS", WIDTH.to_string())
        .envs(vars.iter().copied())
        .current_dir(cwd)
        .output()
        .expect("run pydoctor");
    let code = out.status.code();
    assert!(
        matches!(code, Some(0 | 1 | 3)),
        "pydoctor {args:?} exited {code:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// The lines of `text` that are too wide and may not be, with why they are not exempt.
fn too_wide(text: &str) -> Vec<String> {
    let mut bad = Vec::new();
    let mut in_snippet = false;
    for line in text.lines() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if trimmed.starts_with("help ") && trimmed.contains(':') && indent == 2 {
            in_snippet = true;
        } else if trimmed.starts_with("note:") || line.is_empty() || indent < 6 {
            in_snippet = false;
        }
        let columns = line.chars().count();
        if columns <= WIDTH {
            continue;
        }
        let snippet_line = in_snippet && indent == 6;
        if snippet_line || fits_without_its_paths(line) {
            continue;
        }
        bad.push(format!("{columns:>3}: {line}"));
    }
    bad
}

/// Paths cannot be wrapped: a line that fits once its paths are taken out is held up by them
/// (how long they are depends on where the tests run).
fn fits_without_its_paths(line: &str) -> bool {
    let paths: usize = line
        .split_whitespace()
        .filter(|w| w.contains('/'))
        .map(|w| w.chars().count())
        .sum();
    paths > 0 && line.chars().count() - paths <= WIDTH
}

fn assert_fits(what: &str, text: &str) {
    assert!(!text.trim().is_empty(), "{what}: no output");
    let bad = too_wide(text);
    assert!(
        bad.is_empty(),
        "{what}: {} line(s) wider than {WIDTH} columns that are neither a snippet nor held \
         up by a path:\n{}\n\nwhole output:\n{text}",
        bad.len(),
        bad.join("\n")
    );
}

#[test]
fn the_width_rule_exempts_only_snippets_and_paths() {
    let long_path = format!("/nix/store/{}", "x".repeat(90));
    assert!(too_wide(&format!("  libz.so.1 needed by {long_path}")).is_empty());
    assert!(too_wide(&format!("    venv: {long_path} (base {long_path})")).is_empty());
    assert!(!too_wide(&"word ".repeat(20)).is_empty());
    let snippet = format!("  help 1: Do it\n      export X=\"{}\"\n", "y ".repeat(45));
    assert!(too_wide(&snippet).is_empty());
    let note = format!("  help 1: Do it\n    note: {}\n", "z ".repeat(45));
    assert!(!too_wide(&note).is_empty());
}

#[test]
fn explain_of_the_numpy_fixtures_fits_80_columns() {
    for fixture in [
        "numpy-2.3.2-libstdcxx-hidden.txt",
        "numpy-2.4-libstdcxx-hidden.txt",
        "nix-like-numpy-2.3.2-libstdcxx.txt",
        "nix-like-numpy-2.3.2-libz.txt",
        "pandas-numpy-2.3.2-libstdcxx-hidden.txt",
        "ext-glibcxx-too-old.txt",
    ] {
        let file = format!("fixtures/text/{fixture}");
        let text = pydoctor(&["explain", &file], Path::new(ROOT), &[]);
        assert_fits(&file, &text);
    }
}

#[test]
fn the_rule_list_and_a_rule_fit_80_columns() {
    assert_fits("rules", &pydoctor(&["rules"], Path::new(ROOT), &[]));
    for id in ["PD101", "PD102", "PD109", "PD521"] {
        let text = pydoctor(&["rules", id], Path::new(ROOT), &[]);
        assert_fits(&format!("rules {id}"), &text);
    }
}

#[test]
fn ldd_of_a_gcc_built_fixture_fits_80_columns() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = Path::new(ROOT).join("fixtures/c/loader");
    let deps = dir
        .path()
        .join("a-rather-long-directory-name-for-the-dependencies/lib");
    std::fs::create_dir_all(&deps).unwrap();
    let gcc = |args: &[&str]| {
        let out = Command::new("gcc")
            .args(args)
            .current_dir(dir.path())
            .output()
            .expect("gcc");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let a = fixtures.join("a.c");
    let b = fixtures.join("b.c");
    let liba = deps.join("liba.so");
    gcc(&[
        "-shared",
        "-fPIC",
        "-o",
        liba.to_str().unwrap(),
        a.to_str().unwrap(),
    ]);
    gcc(&[
        "-shared",
        "-fPIC",
        "-o",
        "libb.so",
        b.to_str().unwrap(),
        &format!("-L{}", deps.display()),
        "-la",
        "-Wl,--enable-new-dtags,-rpath,/nonexistent/runpath/dir",
    ]);
    let text = pydoctor(&["ldd", "libb.so"], dir.path(), &[]);
    assert!(text.contains("liba.so"), "{text}");
    assert_fits("ldd libb.so", &text);
}

#[test]
fn check_and_env_on_the_nix_like_venv_fit_80_columns() {
    let Some(python) = nixlike::venv("docs-width", &["numpy==2.3.2"]) else {
        return;
    };
    let venv = python.parent().unwrap().parent().unwrap();
    let project = venv.parent().unwrap();
    let store = nixlike::store_dir();
    let vars = [("VIRTUAL_ENV", venv), ("NIX_STORE_DIR", store.as_path())];
    assert_fits(
        "check numpy",
        &pydoctor(&["check", "numpy"], project, &vars),
    );
    assert_fits("env", &pydoctor(&["env"], project, &vars));
    let module = venv.join(
        "lib/python3.11/site-packages/numpy/_core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so",
    );
    let args = [
        "ldd",
        "--python",
        python.to_str().unwrap(),
        module.to_str().unwrap(),
    ];
    assert_fits("ldd numpy", &pydoctor(&args, project, &vars));
    let gcc_lib = nixlike::package_lib("gcc-12.2.0-lib").unwrap();
    let zlib = nixlike::package_lib("zlib-1.2.13").unwrap();
    let path = std::env::join_paths([gcc_lib, zlib]).unwrap();
    let with_fix = [
        ("VIRTUAL_ENV", venv),
        ("NIX_STORE_DIR", store.as_path()),
        ("LD_LIBRARY_PATH", Path::new(&path)),
    ];
    assert_fits(
        "check numpy with the fix",
        &pydoctor(&["check", "numpy"], project, &with_fix),
    );
}
