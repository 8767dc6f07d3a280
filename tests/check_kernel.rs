//! `check MODULE --kernel NAME`: the python of a Jupyter kernel, read from its kernelspec.
//!
//! The set-up is the usual "No module named" in a notebook: the package was installed into a
//! venv (real CPython, real wheels of idna and ipykernel from PyPI), while the kernel's
//! `kernel.json` names another python. pydoctor must say so, and its fix (`ipykernel install`
//! from the venv's python) must make the import in that kernel work when run as shown. The
//! kernelspec's `env` must reach the import; a kernel that is not there, or whose argv[0] is
//! not a python, is a one-line usage error. A Nix-style `jupyter` wrapper that sets its own
//! `JUPYTER_PATH` is asked through `jupyter kernelspec list` (real jupyter_client).

#[path = "check_common.rs"]
mod common;

use std::path::{Path, PathBuf};

use common::{Run, fix};
use serde_json::Value;

/// The venv the user installed into, and a python (another venv) the kernel runs.
struct Pythons {
    installed: PathBuf,
    kernel: PathBuf,
}

/// Made from the FHS python: ipykernel's pyzmq is a manylinux wheel that needs the system's
/// libstdc++, which a Nix python's loader does not find (the failure pydoctor diagnoses).
fn pythons() -> Option<Pythons> {
    let host = common::fhs_python()?;
    Some(Pythons {
        installed: common::venv_of(host, "kernel-installed", &["idna", "ipykernel"])?,
        kernel: common::venv_of(host, "kernel-bare", &[])?,
    })
}

fn write_kernel(data_dir: &Path, name: &str, spec: &Value) {
    let dir = data_dir.join("kernels").join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("kernel.json"), spec.to_string()).unwrap();
}

fn spec(python: &Path) -> Value {
    serde_json::json!({
        "argv": [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python (old)",
        "language": "python",
    })
}

fn venv_of(python: &Path) -> PathBuf {
    python.parent().unwrap().parent().unwrap().to_path_buf()
}

struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("home")).unwrap();
        std::fs::create_dir_all(dir.path().join("proj")).unwrap();
        Home { dir }
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    fn user_data(&self) -> PathBuf {
        self.home().join(".local/share/jupyter")
    }

    fn proj(&self) -> PathBuf {
        self.dir.path().join("proj")
    }

    fn check(&self, module: &str, kernel: &str, vars: &[(&str, &str)]) -> Run {
        let home = self.home();
        let mut envs = vec![("HOME", home.to_str().unwrap())];
        envs.extend_from_slice(vars);
        let args = ["check", module, "--kernel", kernel, "--format", "json"];
        common::pydoctor(&args, &envs, &self.proj())
    }
}

#[test]
fn a_kernel_of_another_python_is_said_and_its_fix_works() {
    let Some(py) = pythons() else { return };
    let home = Home::new();
    write_kernel(&home.user_data(), "ml", &spec(&py.kernel));
    let venv = venv_of(&py.installed);
    let venv_var = [("VIRTUAL_ENV", venv.to_str().unwrap())];

    let run = home.check("idna", "ML", &venv_var);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let doc = run.json();
    let kernel = &doc["environment"]["kernel"];
    assert_eq!(kernel["name"], "ml");
    assert_eq!(kernel["module_found_in"], py.installed.to_str().unwrap());
    assert_eq!(kernel["module_found_in_has_ipykernel"], true);
    assert_eq!(
        doc["environment"]["python"]["executable"],
        py.kernel.to_str().unwrap()
    );
    let diagnosis = &doc["diagnoses"][0];
    assert_eq!(diagnosis["rule"], "PD414", "{doc:#}");
    let snippet = fix(diagnosis, "kernel-python")["snippet"].as_str().unwrap();
    assert_eq!(
        snippet.trim(),
        format!(
            "{} -m ipykernel install --user --name ml",
            py.installed.display()
        )
    );

    // Run the fix as shown, in the user's shell: the kernel now imports idna.
    let ran = common::clean("sh", &home.proj())
        .args(["-c", snippet])
        .env("HOME", home.home())
        .output()
        .unwrap();
    assert!(
        ran.status.success(),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    let after = home.check("idna", "ml", &venv_var);
    assert_eq!(after.code, 0, "{}\n{}", after.stdout, after.stderr);
}

#[test]
fn a_kernel_first_on_jupyter_path_gets_a_new_name_not_an_override() {
    let Some(py) = pythons() else { return };
    let home = Home::new();
    let system = home.dir.path().join("share/jupyter");
    write_kernel(&system, "ml", &spec(&py.kernel));
    let venv = venv_of(&py.installed);
    let run = home.check(
        "idna",
        "ml",
        &[
            ("VIRTUAL_ENV", venv.to_str().unwrap()),
            ("JUPYTER_PATH", system.to_str().unwrap()),
        ],
    );
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let doc = run.json();
    assert_eq!(doc["environment"]["kernel"]["user_overrides"], false);
    let snippet = fix(&doc["diagnoses"][0], "kernel-python")["snippet"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        !snippet.contains("--name ml\n") && snippet.contains("--name ml-"),
        "a --user kernel named ml would not replace the one on JUPYTER_PATH: {snippet}"
    );
}

#[test]
fn the_kernelspec_env_reaches_the_import() {
    let Some(py) = pythons() else { return };
    let home = Home::new();
    let mods = home.dir.path().join("mods");
    std::fs::create_dir_all(&mods).unwrap();
    std::fs::write(mods.join("kernel_only.py"), "VALUE = 1\n").unwrap();
    let mut kernel = spec(&py.kernel);
    // Jupyter fills `${NAME}` from the server's environment.
    kernel["env"] = serde_json::json!({ "PYTHONPATH": "${PD_TEST_BASE}/mods" });
    write_kernel(&home.user_data(), "k", &kernel);
    let base = home.dir.path().to_str().unwrap();

    let run = home.check("kernel_only", "k", &[("PD_TEST_BASE", base)]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        run.json()["environment"]["kernel"]["env"],
        serde_json::json!(["PYTHONPATH"])
    );
    // The same python without the kernel's variables does not have the module.
    let without = common::pydoctor(
        &[
            "check",
            "kernel_only",
            "--python",
            py.kernel.to_str().unwrap(),
        ],
        &[("HOME", home.home().to_str().unwrap())],
        &home.proj(),
    );
    assert_eq!(without.code, 1, "{}", without.stdout);
}

#[test]
fn a_missing_or_broken_kernel_is_a_one_line_usage_error() {
    let Some(py) = pythons() else { return };
    let home = Home::new();
    write_kernel(&home.user_data(), "good", &spec(&py.kernel));
    write_kernel(&home.user_data(), "ls", &spec(Path::new("/bin/ls")));
    let broken = home.user_data().join("kernels/broken");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(broken.join("kernel.json"), "{ not json").unwrap();

    for (kernel, says) in [
        ("nosuch", "no such Jupyter kernel (found: broken, good, ls;"),
        ("broken", "not a kernelspec"),
        ("ls", "not a Python interpreter"),
    ] {
        let home_dir = home.home();
        let run = common::pydoctor(
            &["check", "idna", "--kernel", kernel],
            &[("HOME", home_dir.to_str().unwrap())],
            &home.proj(),
        );
        assert_eq!(run.code, 2, "{kernel}: {}\n{}", run.stdout, run.stderr);
        assert!(run.stdout.is_empty(), "{kernel}: {}", run.stdout);
        assert_eq!(
            run.stderr.trim().lines().count(),
            1,
            "{kernel}: {}",
            run.stderr
        );
        assert!(run.stderr.contains(says), "{kernel}: {}", run.stderr);
    }
    let both = common::pydoctor(
        &[
            "check",
            "idna",
            "--kernel",
            "good",
            "--python",
            "/usr/bin/python3",
        ],
        &[],
        &home.proj(),
    );
    assert_eq!(
        both.code, 2,
        "--kernel and --python together: {}",
        both.stderr
    );
}

#[test]
fn a_jupyter_wrapper_with_its_own_kernel_path_is_asked() {
    let Some(py) = pythons() else { return };
    let Some(host) = common::fhs_python() else {
        return;
    };
    let Some(jupyter) = common::venv_of(host, "kernel-jupyter", &["jupyter_client"]) else {
        return;
    };
    let home = Home::new();
    // Like a Nix-built jupyter: a wrapper that sets JUPYTER_PATH where no variable shows it.
    let hidden = home.dir.path().join("hidden/share/jupyter");
    write_kernel(&hidden, "wrapped", &spec(&py.kernel));
    let bin = home.dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let wrapper = bin.join("jupyter");
    // `jupyter kernelspec …` is jupyter_client's KernelSpecApp; the wheels were installed
    // without their console scripts, so the wrapper starts it the way the script would.
    let script = format!(
        "#!/bin/sh\n[ \"$1\" = kernelspec ] && shift\nJUPYTER_PATH={} exec {} -c \
         'from jupyter_client.kernelspecapp import KernelSpecApp; KernelSpecApp.launch_instance()' \
         \"$@\"\n",
        hidden.display(),
        jupyter.display()
    );
    std::fs::write(&wrapper, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();

    let path = format!("{}:/usr/local/bin:/usr/bin:/bin", bin.display());
    let run = home.check("json", "wrapped", &[("PATH", &path)]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let doc = run.json();
    assert_eq!(doc["environment"]["kernel"]["name"], "wrapped");
    assert_eq!(
        doc["environment"]["python"]["executable"],
        py.kernel.to_str().unwrap()
    );
}
