//! `pydoctor check` on the set-ups users have, not the ones our other tests build: a venv made
//! by the real `uv` from a Nix-store python (it has no pip), a store of 30,000 entries holding
//! several copies of `libstdc++.so.6` and `libz.so.1` of which the first ones cannot work, and
//! a `--python` that is not a python at all. Every fix shown must run as written here, and the
//! verified one must really make the import work.

#[path = "support/nixlike.rs"]
mod nixlike;

#[path = "check_common.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Run, diagnosis, fix, import_after_snippet, pydoctor};
use serde_json::Value;

/// numpy's core extension, tagged for the fixture's python (`cpython-311`).
fn multiarray() -> String {
    format!(
        "numpy/_core/_multiarray_umath.cpython-{}-x86_64-linux-gnu.so",
        nixlike::short_version().replace('.', "")
    )
}

fn check_in(project: &Path, store: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["check", "numpy"];
    args.extend_from_slice(extra);
    let path = format!(
        "{}:/usr/local/bin:/usr/bin:/bin",
        nixlike::uv()
            .and_then(|u| u.parent().map(Path::to_path_buf))
            .unwrap_or_default()
            .display()
    );
    pydoctor(
        &args,
        &[
            ("NIX_STORE_DIR", store.to_str().unwrap()),
            ("PATH", path.as_str()),
        ],
        project,
    )
}

/// No snippet may name pip for a venv that has none, nor keep a template word.
fn assert_every_fix_fits_a_uv_venv(doc: &Value) {
    let placeholder = regex::Regex::new(r"\{[a-z_]+\}").unwrap();
    for d in doc["diagnoses"].as_array().unwrap() {
        for f in d["fixes"].as_array().unwrap() {
            let snippet = f["snippet"].as_str().unwrap_or("");
            assert!(!snippet.contains("bin/pip"), "{f:#}");
            assert!(!snippet.contains("-m pip"), "{f:#}");
            for word in ["PACKAGE", "/path/to/lib"] {
                assert!(!snippet.contains(word), "{word} in {f:#}");
            }
            assert!(!placeholder.is_match(snippet), "a placeholder in {f:#}");
            if f["verified"] == "verified" {
                let checked: Vec<&str> = f["checked"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(Value::as_str)
                    .collect();
                assert!(checked.contains(&"commands"), "{f:#}");
                assert!(checked.contains(&"paths"), "{f:#}");
            }
        }
    }
}

#[test]
fn a_uv_venv_of_a_nix_python_gets_fixes_that_run_without_pip() {
    let Some(_) = nixlike::python() else { return };
    let project = nixlike::scratch("field/uv-project");
    let Some(python) = nixlike::uv_venv(&project, &["numpy==2.3.2"]) else {
        return;
    };
    assert!(
        !project.join(".venv/bin/pip").exists(),
        "a uv venv has no pip"
    );
    // Run from the project, as a user would: `./.venv` is what pydoctor finds.
    let run = check_in(&project, &nixlike::store_dir(), &["--format", "json"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let doc = run.json();
    let py = &doc["environment"]["python"];
    assert_eq!(py["venv_tool"], "uv", "{py:#}");
    assert_eq!(py["venv_has_pip"], false, "{py:#}");
    assert_eq!(py["kind"], "nix-store", "{py:#}");
    assert_every_fix_fits_a_uv_venv(&doc);

    let d = diagnosis(&doc, "missing-shared-library").unwrap();
    let f = fix(d, "ld-library-path");
    assert_eq!(f["verified"], "verified", "{f:#}");
    let (worked, said) = import_after_snippet(f["snippet"].as_str().unwrap(), &python, "numpy");
    assert!(worked, "the verified fix makes the import work:\n{said}");
    // fix-python needs no recreated venv for a Nix python, and nothing is deleted.
    if let Some(fp) = d["fixes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "fix-python")
    {
        let snippet = fp["snippet"].as_str().unwrap();
        assert!(
            !snippet.contains("--clear") && !snippet.contains("rm -rf"),
            "{snippet}"
        );
    }
}

/// 32 characters of Nix's base-32 alphabet, from a number.
fn hash(n: u64) -> String {
    const ALPHABET: &[u8] = b"0123456789abcdfghijklmnpqrsvwxyz";
    let mut x = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5DEE_CE66;
    (0..32)
        .map(|i| {
            x = x.rotate_left(5) ^ (n + i);
            ALPHABET[(x % 32) as usize] as char
        })
        .collect()
}

fn gcc(args: &[&str], dir: &Path) -> bool {
    Command::new("gcc")
        .args(args)
        .current_dir(dir)
        .status()
        .is_ok_and(|s| s.success())
}

/// A workstation-sized store around a Nix-like python: 30,000 entries, a third with a `lib/`;
/// a `libstdc++.so.6` defining only GLIBCXX_3.4 and 3.4.14 in the entry that sorts first and
/// has the highest version; a `libz.so.1` that needs GLIBC_2.99; and a working libstdc++ in a
/// newer gcc entry than the store's own. Built once per target dir.
fn workstation_store() -> Option<(PathBuf, PathBuf)> {
    let dest = nixlike::scratch("field/workstation");
    let python = nixlike::venv_at(&dest, "numpy-2.3.2", &["numpy==2.3.2"])?;
    let store = dest.join("nix/store");
    let old_gcc = store.join("0000000000000000000000000000000a-gcc-99.1.0-lib/lib");
    let future_zlib = store.join("0000000000000000000000000000000b-zlib-9.9.9/lib");
    let newer = store.join("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz-gcc-13.2.0-lib/lib");
    // The fixture script may have rebuilt the store: only what is there counts as done.
    let done = newer.join("libstdc++.so.6").exists()
        && old_gcc.join("libstdc++.so.6").exists()
        && future_zlib.join("libz.so.1").exists()
        && std::fs::read_dir(&store).ok()?.count() > 30_000;
    if done {
        return Some((store, python));
    }
    for n in 0..30_000u64 {
        let entry = store.join(format!("{}-pkg{n}-1.{}", hash(n), n % 7));
        std::fs::create_dir_all(&entry).ok()?;
        if n % 3 == 0 {
            std::fs::create_dir_all(entry.join("lib")).ok()?;
            std::fs::write(entry.join(format!("lib/libpkg{n}.so.1")), b"").ok()?;
        }
    }
    let work = tempfile::tempdir().ok()?;
    let w = work.path();
    std::fs::write(
        w.join("old.map"),
        "GLIBCXX_3.4 { global: f; };\nGLIBCXX_3.4.14 { global: *; } GLIBCXX_3.4;\n",
    )
    .ok()?;
    std::fs::write(w.join("old.c"), "void f(void) {}\n").ok()?;
    std::fs::write(
        w.join("stubc.map"),
        "GLIBC_2.99 { global: future_fn; local: *; };\n",
    )
    .ok()?;
    std::fs::write(w.join("stubc.c"), "int future_fn(void) { return 0; }\n").ok()?;
    std::fs::write(
        w.join("needs.c"),
        "extern int future_fn(void); int g(void) { return future_fn(); }\n",
    )
    .ok()?;
    std::fs::create_dir_all(&old_gcc).ok()?;
    std::fs::create_dir_all(&future_zlib).ok()?;
    let built = gcc(
        &[
            "-shared",
            "-fPIC",
            "-o",
            old_gcc.join("libstdc++.so.6").to_str()?,
            "-Wl,-soname,libstdc++.so.6",
            "-Wl,--version-script=old.map",
            // Linked against the interpreter's glibc, as Nix would: it ranks with the good
            // ones, and only the resolver can tell it lacks what numpy needs.
            "-Wl,--enable-new-dtags",
            &format!("-Wl,-rpath,{}", glibc_lib(&store)?.display()),
            "old.c",
        ],
        w,
    ) && gcc(
        &[
            "-shared",
            "-fPIC",
            "-nostdlib",
            "-o",
            "libc.so.6",
            "-Wl,-soname,libc.so.6",
            "-Wl,--version-script=stubc.map",
            "stubc.c",
        ],
        w,
    ) && gcc(
        &[
            "-shared",
            "-fPIC",
            "-o",
            future_zlib.join("libz.so.1").to_str()?,
            "-Wl,-soname,libz.so.1",
            "needs.c",
            "-L.",
            "-l:libc.so.6",
        ],
        w,
    );
    if !built {
        nixlike::skip::skip("gcc could not build the store's bad candidates");
        return None;
    }
    // A newer copy of the store's working libstdc++ (same file, same RUNPATH into glibc).
    let good = nixlike_package_lib(&store, "gcc-12.2.0-lib")?;
    std::fs::create_dir_all(&newer).ok()?;
    std::fs::copy(good.join("libstdc++.so.6"), newer.join("libstdc++.so.6")).ok()?;
    Some((store, python))
}

fn glibc_lib(store: &Path) -> Option<PathBuf> {
    nixlike_package_lib(store, "glibc-2.36")
}

fn nixlike_package_lib(store: &Path, suffix: &str) -> Option<PathBuf> {
    std::fs::read_dir(store)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with(suffix))
        .map(|p| p.join("lib"))
}

#[test]
fn in_a_real_sized_store_the_working_copies_are_chosen_and_the_others_said_why() {
    let Some((store, python)) = workstation_store() else {
        return;
    };
    let cwd = tempfile::tempdir().unwrap();
    let run = pydoctor(
        &[
            "check",
            "numpy",
            "--python",
            python.to_str().unwrap(),
            "--format",
            "json",
        ],
        &[("NIX_STORE_DIR", store.to_str().unwrap())],
        cwd.path(),
    );
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let doc = run.json();
    let d = diagnosis(&doc, "missing-shared-library").unwrap();
    let candidates = d["store_candidates"].as_array().expect("candidates");
    let reason = |dir_part: &str| {
        candidates
            .iter()
            .find(|c| c["dir"].as_str().unwrap().contains(dir_part))
            .unwrap_or_else(|| panic!("{dir_part} among {candidates:#?}"))
            .clone()
    };
    let old = reason("gcc-99.1.0-lib");
    assert_eq!(old["chosen"], false);
    let why = old["passed_over"].as_str().unwrap();
    assert!(
        why.starts_with("lacks GLIBCXX_3.4.") || why.starts_with("lacks CXXABI_1.3."),
        "{old:#}"
    );
    let future = reason("zlib-9.9.9");
    assert!(
        future["passed_over"]
            .as_str()
            .unwrap()
            .contains("GLIBC_2.99"),
        "{future:#}"
    );
    assert_eq!(
        reason("gcc-13.2.0-lib")["chosen"],
        true,
        "the newest that works"
    );
    assert_eq!(reason("zlib-1.2.13")["chosen"], true);

    let f = fix(d, "ld-library-path");
    assert_eq!(f["verified"], "verified", "{f:#}");
    let snippet = f["snippet"].as_str().unwrap();
    assert!(snippet.contains("gcc-13.2.0-lib/lib"), "{snippet}");
    assert!(
        !snippet.contains("gcc-99.1.0") && !snippet.contains("zlib-9.9.9"),
        "{snippet}"
    );
    let (worked, said) = import_after_snippet(snippet, &python, "numpy");
    assert!(worked, "the chosen libraries make the import work:\n{said}");
    assert!(d["required_by"].as_str().unwrap().ends_with(&multiarray()));

    // `-v` says the same in one human line.
    let human = pydoctor(
        &[
            "check",
            "numpy",
            "-v",
            "--color",
            "never",
            "--python",
            python.to_str().unwrap(),
        ],
        &[("NIX_STORE_DIR", store.to_str().unwrap())],
        cwd.path(),
    );
    let line = human
        .stdout
        .lines()
        .find(|l| l.contains("passed over:"))
        .unwrap_or_else(|| panic!("{}", human.stdout));
    assert!(line.contains("gcc-99.1.0-lib"), "{}", human.stdout);
}

#[test]
fn a_python_flag_that_is_not_a_python_is_a_usage_error_naming_what_it_is() {
    let t = tempfile::tempdir().unwrap();
    let venv = t.path().join(".venv");
    std::fs::create_dir_all(venv.join("bin")).unwrap();
    std::fs::write(
        venv.join("bin/activate"),
        "# source this\nexport VIRTUAL_ENV=x\n",
    )
    .unwrap();
    let script = t.path().join("run.sh");
    std::fs::write(&script, "#!/bin/sh\necho hello\n").unwrap();
    let cases: [(&str, &str); 5] = [
        ("/bin/ls", "no Python runtime"),
        ("/etc/passwd", "not a program"),
        (".venv/bin/activate", "not a program"),
        (".venv", "a directory"),
        ("run.sh", "a script (#!/bin/sh)"),
    ];
    for (given, says) in cases {
        let run = pydoctor(&["check", "numpy", "--python", given], &[], t.path());
        assert_eq!(run.code, 2, "{given}: {}{}", run.stdout, run.stderr);
        assert_eq!(run.stderr.lines().count(), 1, "{given}: {}", run.stderr);
        assert!(run.stderr.contains(says), "{given}: {}", run.stderr);
        assert!(
            run.stderr.contains("not a Python interpreter"),
            "{}",
            run.stderr
        );
        assert!(!run.stdout.contains("rm -rf"), "{given}: {}", run.stdout);
    }
}
