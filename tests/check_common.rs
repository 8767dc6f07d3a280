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

// Shared with other support modules the same test may include.
#[allow(clippy::duplicate_mod)]
#[path = "support/host.rs"]
pub mod host;

pub use host::Python;
pub use host::skip::skip;

/// The python under test (`PYDOCTOR_TEST_PYTHON`, else `python3` on PATH), or None after a
/// loud skip.
pub fn host() -> Option<&'static Python> {
    host::python_or_skip()
}

/// The real interpreter binary of the python under test.
pub fn host_python() -> Option<PathBuf> {
    host().map(|p| p.executable.clone())
}

/// Its installation prefix (`sys.base_prefix`).
pub fn host_prefix() -> Option<PathBuf> {
    host().map(|p| p.prefix.clone())
}

/// A python whose loader is the FHS one (`/lib64/ld-linux-x86-64.so.2`): the python under
/// test when it is one, else another on PATH. None after a loud skip (a Nix build has none).
pub fn fhs_python() -> Option<&'static Python> {
    host::fhs_python_or_skip()
}

/// The `kind` pydoctor must give `python`, where its path says it (pyenv, the distro's).
pub fn expected_kind(python: &Python) -> Option<&'static str> {
    let path = python.executable.to_string_lossy();
    if path.contains("/.pyenv/versions/")
        || std::env::var_os("PYENV_ROOT")
            .is_some_and(|root| path.starts_with(&*root.to_string_lossy()))
    {
        Some("pyenv")
    } else if path.starts_with("/usr/bin/") {
        Some("system")
    } else {
        None
    }
}

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

/// Where a test binary may keep fixtures between runs (below `host::scratch_root()`).
pub fn scratch(name: &str) -> PathBuf {
    host::scratch_root().join("check").join(name)
}

/// A venv of `python` called `name` with `packages` installed from real wheels (the wheel
/// cache first, PyPI for what is missing). Kept between runs, rebuilt when the package list
/// changes. Returns its `bin/python`, or None after saying SKIPPED.
pub fn venv_of(python: &Python, name: &str, packages: &[&str]) -> Option<PathBuf> {
    static BUILDING: Mutex<()> = Mutex::new(());
    let _one_at_a_time = BUILDING.lock().unwrap_or_else(|e| e.into_inner());
    let venv = scratch(name);
    let bin = venv.join("bin/python");
    let marker = venv.join(".complete");
    let want = format!("{} {}", python.executable.display(), packages.join(" "));
    if std::fs::read_to_string(&marker).ok().as_deref() == Some(want.as_str()) {
        return Some(bin);
    }
    let _ = std::fs::remove_dir_all(&venv);
    let made = Command::new(&python.executable)
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv)
        .status()
        .is_ok_and(|s| s.success());
    if !made {
        skip(format!(
            "cannot make a venv with {}",
            python.executable.display()
        ));
        return None;
    }
    if !packages.is_empty() && !host::install_wheels(python, &python.site_packages(&venv), packages)
    {
        return None;
    }
    std::fs::write(&marker, &want).ok()?;
    Some(bin)
}

/// `venv_of` the FHS python (see `fhs_python`).
pub fn host_venv(name: &str, packages: &[&str]) -> Option<PathBuf> {
    venv_of(fhs_python()?, name, packages)
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
    let python = fhs_python()?;
    let out = dir.join(python.extension_file(module));
    let include = format!("-I{}", python.include.display());
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
        skip(format!(
            "gcc could not build the extension {module} (no Python.h in {}?)",
            python.include.display()
        ));
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

/// Run `import MODULE` the way a user would after pasting the fix's snippet into a shell with
/// no LD_LIBRARY_PATH of its own. Returns (worked, output).
pub fn import_after_snippet(snippet: &str, python: &Path, module: &str) -> (bool, String) {
    let cwd = tempfile::tempdir().unwrap();
    let script =
        format!("{snippet}\nexec \"$0\" -c 'import {module}; print({module}.__version__)'");
    let out = clean("sh", cwd.path())
        .arg("-c")
        .arg(script)
        .arg(python)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}
