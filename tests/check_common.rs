//! Shared by the `check_*` end-to-end tests (included with `#[path = "check_common.rs"] mod
//! common;`): running the real `pydoctor` binary with a clean environment, validating its JSON
//! against docs/schema.json, venvs of the host python with real wheels, and C extensions built
//! with gcc at test time.
//!
//! Compiled on its own too, as a test binary without tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, OnceLock};

use serde_json::Value;

/// The host python (pyenv, FHS loader), the base of the host venvs.
pub const HOST_PREFIX: &str = "/root/.pyenv/versions/3.11.7";
pub const HOST_PYTHON: &str = "/root/.pyenv/versions/3.11.7/bin/python3.11";

/// What one run of pydoctor gave back.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// stdout as the one JSON document it must be, validated against docs/schema.json.
    pub fn json(&self) -> Value {
        let doc: Value = serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON document ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        });
        assert_valid(&doc);
        doc
    }
}

pub fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_pydoctor"))
}

/// A command with only the variables a test gives it: no LD_LIBRARY_PATH, VIRTUAL_ENV or
/// NIX_STORE_DIR of the shell that runs the tests leaks in.
pub fn clean(program: impl AsRef<std::ffi::OsStr>, cwd: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin")
        .env("HOME", "/root")
        .current_dir(cwd);
    cmd
}

/// Run pydoctor with `args` and `envs` in `cwd`; stdin is empty unless `stdin` is given.
pub fn pydoctor(args: &[&str], envs: &[(&str, &str)], cwd: &Path) -> Run {
    run_with_stdin(
        clean(bin(), cwd).args(args).envs(envs.iter().copied()),
        None,
    )
}

pub fn run_with_stdin(cmd: &mut Command, stdin: Option<&[u8]>) -> Run {
    use std::io::Write;
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn");
    let mut input = child.stdin.take().unwrap();
    // A command that refuses its arguments exits without reading: a broken pipe is fine.
    let _ = input.write_all(stdin.unwrap_or_default());
    drop(input);
    Run::from(child.wait_with_output().unwrap())
}

fn schema() -> &'static jsonschema::Validator {
    static SCHEMA: OnceLock<jsonschema::Validator> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/schema.json"))
                .expect("docs/schema.json");
        let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
        jsonschema::validator_for(&schema).expect("schema compiles")
    })
}

pub fn assert_valid(doc: &Value) {
    let errors: Vec<String> = schema()
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}\n{doc:#}", errors.join("\n"));
}

/// Where a test binary may keep fixtures between runs (Cargo's per-target scratch dir).
pub fn scratch(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("check")
        .join(name)
}

fn wheels() -> PathBuf {
    match std::env::var_os("PYDOCTOR_TEST_CACHE") {
        Some(cache) if !cache.is_empty() => PathBuf::from(cache).join("wheels"),
        _ => PathBuf::from("/work/cache/wheels"),
    }
}

fn pip(args: &[&str], extra: &[&str]) -> bool {
    Command::new(HOST_PYTHON)
        .args(["-m", "pip"])
        .args(args)
        .args(["-q", "--disable-pip-version-check", "--only-binary=:all:"])
        .args(extra)
        .status()
        .is_ok_and(|s| s.success())
}

/// A venv of the host python called `name` with `packages` installed from real wheels (the
/// wheel cache first, PyPI for what is missing). Kept between runs, rebuilt when the package
/// list changes. Returns its `bin/python`, or None after saying SKIPPED.
pub fn host_venv(name: &str, packages: &[&str]) -> Option<PathBuf> {
    static BUILDING: Mutex<()> = Mutex::new(());
    let _one_at_a_time = BUILDING.lock().unwrap_or_else(|e| e.into_inner());
    if !Path::new(HOST_PYTHON).exists() {
        eprintln!("SKIPPED: no host python at {HOST_PYTHON}");
        return None;
    }
    let venv = scratch(name);
    let python = venv.join("bin/python");
    let marker = venv.join(".complete");
    let want = packages.join(" ");
    if std::fs::read_to_string(&marker).ok().as_deref() == Some(want.as_str()) {
        return Some(python);
    }
    let _ = std::fs::remove_dir_all(&venv);
    let made = Command::new(HOST_PYTHON)
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv)
        .status()
        .is_ok_and(|s| s.success());
    let site = venv.join("lib/python3.11/site-packages");
    let site = site.to_str()?;
    let wheels = wheels();
    let wheels = wheels.to_str()?;
    let install = |extra: &[&str]| {
        let mut args = vec!["install", "--root-user-action=ignore", "--no-index"];
        args.extend_from_slice(&["--find-links", wheels]);
        args.extend_from_slice(&["--target", site]);
        pip(&args, &[extra, packages].concat())
    };
    let installed =
        made && (install(&[]) || (pip(&["download", "-d", wheels], packages) && install(&[])));
    if !installed {
        eprintln!("SKIPPED: could not make the venv {name} with {want}");
        return None;
    }
    std::fs::write(&marker, &want).ok()?;
    Some(python)
}

pub fn gcc(args: &[&str]) -> bool {
    Command::new("gcc")
        .args(args)
        .status()
        .is_ok_and(|s| s.success())
}

/// A shared library `lib<name>.so` (soname the same) in `dir`, exporting `pd_value()`.
pub fn build_library(dir: &Path, name: &str) -> Option<PathBuf> {
    std::fs::create_dir_all(dir).ok()?;
    let src = dir.join(format!("{name}.c"));
    std::fs::write(&src, "int pd_value(void) { return 42; }\n").ok()?;
    let lib = dir.join(format!("lib{name}.so"));
    let soname = format!("-Wl,-soname,lib{name}.so");
    gcc(&[
        "-shared",
        "-fPIC",
        "-o",
        lib.to_str()?,
        src.to_str()?,
        &soname,
    ])
    .then_some(lib)
}

/// A C extension module `<module>` (exporting `PyInit_<module>`) in `dir`, linked to
/// `lib<lib_name>.so` from `lib_dir`, which it calls when imported. No rpath: where that
/// library is found is up to the loader.
pub fn build_extension(
    dir: &Path,
    module: &str,
    lib_dir: &Path,
    lib_name: &str,
) -> Option<PathBuf> {
    let build = dir.join(format!(".build-{module}"));
    std::fs::create_dir_all(&build).ok()?;
    let src = build.join(format!("{module}.c"));
    std::fs::write(
        &src,
        format!(
            "#include <Python.h>\n\
             int pd_value(void);\n\
             static struct PyModuleDef def = {{ PyModuleDef_HEAD_INIT, \"{module}\", NULL, -1, NULL }};\n\
             PyMODINIT_FUNC PyInit_{module}(void) {{\n\
                 if (pd_value() != 42) return NULL;\n\
                 return PyModule_Create(&def);\n\
             }}\n"
        ),
    )
    .ok()?;
    let out = dir.join(format!("{module}.cpython-311-x86_64-linux-gnu.so"));
    let include = format!("-I{HOST_PREFIX}/include/python3.11");
    let lib_dir_flag = format!("-L{}", lib_dir.display());
    let lib_flag = format!("-l{lib_name}");
    let built = gcc(&[
        "-shared",
        "-fPIC",
        &include,
        src.to_str()?,
        "-o",
        out.to_str()?,
        &lib_dir_flag,
        &lib_flag,
    ]);
    let _ = std::fs::remove_dir_all(&build);
    if !built {
        eprintln!("SKIPPED: gcc could not build the extension {module} (Python.h missing?)");
        return None;
    }
    Some(out)
}

/// The diagnosis of `kind` in a report, if any.
pub fn diagnosis<'a>(doc: &'a Value, kind: &str) -> Option<&'a Value> {
    doc["diagnoses"]
        .as_array()?
        .iter()
        .find(|d| d["kind"] == kind)
}

/// The ids of a diagnosis's fixes, in the order shown.
pub fn fix_ids(diagnosis: &Value) -> Vec<String> {
    diagnosis["fixes"]
        .as_array()
        .map(|fixes| {
            fixes
                .iter()
                .filter_map(|f| f["id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

pub fn fix<'a>(diagnosis: &'a Value, id: &str) -> &'a Value {
    diagnosis["fixes"]
        .as_array()
        .and_then(|fixes| fixes.iter().find(|f| f["id"] == id))
        .unwrap_or_else(|| panic!("no fix {id} in {diagnosis:#}"))
}

/// Non-latent findings of `kind` as (library, required_by).
pub fn findings(doc: &Value, kind: &str, latent: bool) -> Vec<(String, String)> {
    doc["findings"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter(|f| f["kind"] == kind && f["latent"] == latent)
                .map(|f| {
                    (
                        f["library"].as_str().unwrap_or("").to_string(),
                        f["required_by"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}
