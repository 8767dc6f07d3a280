//! `check MODULE --cuda`: where the CUDA libraries of a package would come from, with no GPU.
//!
//! The parts are real: a package whose extension module (built with gcc at test time) needs
//! `libcudart.so.12` from an `nvidia/cuda_runtime/lib` dir through its RPATH, a stand-in
//! `libcuda.so.1` (gcc, its own soname) in a fake `/run/opengl-driver/lib` (a tmpfs over
//! `/run` in a private mount namespace, as root), a copy of it in a `stubs` dir earlier on
//! LD_LIBRARY_PATH (the devenv trap), the driver's version file (a tmpfs over
//! `/proc/driver`), and the real `nvidia-ml-py` wheel, whose pynvml dlopens
//! `libnvidia-ml.so.1` through ctypes.

#[path = "check_common.rs"]
mod common;

use std::path::{Path, PathBuf};

use common::Run;
use serde_json::Value;

/// A driver version file as the NVIDIA kernel module writes it.
const VERSION: &str = "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu Feb 22 01:44:30 UTC 2024\nGCC version:  gcc version 13.2.0 (GCC) \n";

/// The fake machine's files, then the program: `$1` is the dir holding `driver/` (copied
/// into `/run/opengl-driver/lib`), `version` (put at `/proc/driver/nvidia/version`) and an
/// `os-release` saying NixOS.
const ENTER: &str = r#"mount --bind "$1/os-release" /etc/os-release || exit 90
mount -t tmpfs none /run || exit 90
mkdir -p /run/opengl-driver/lib && cp "$1"/driver/* /run/opengl-driver/lib/ || exit 91
if [ -f "$1/version" ]; then
  mount -t tmpfs none /proc/driver && mkdir -p /proc/driver/nvidia && cp "$1/version" /proc/driver/nvidia/version || exit 92
fi
shift
exec "$@""#;

/// A shared object called `soname`, built in `dir`.
fn library(dir: &Path, soname: &str, source: &str) -> Option<PathBuf> {
    std::fs::create_dir_all(dir).ok()?;
    let c = dir.join(format!("{soname}.c"));
    std::fs::write(&c, source).ok()?;
    let out = dir.join(soname);
    let soname_flag = format!("-Wl,-soname,{soname}");
    let built = common::gcc(&[
        "-shared",
        "-fPIC",
        &soname_flag,
        "-o",
        out.to_str()?,
        c.to_str()?,
    ]);
    let _ = std::fs::remove_file(&c);
    if !built {
        common::skip("gcc cannot build a shared object");
        return None;
    }
    Some(out)
}

/// The project: `cudaext/` (its `_core.so` needs libcudart.so.12 through
/// `$ORIGIN/../nvidia/cuda_runtime/lib`), the `nvidia` wheel's dir, a driver stand-in in
/// `machine/driver/` and a copy in `toolkit/lib64/stubs/`.
struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    fn new() -> Option<Project> {
        let dir = tempfile::tempdir().ok()?;
        let d = dir.path();
        let runtime = d.join("nvidia/cuda_runtime/lib");
        library(
            &runtime,
            "libcudart.so.12",
            "int cudaGetDeviceCount(int *n) { *n = 0; return 0; }\n",
        )?;
        let ext = d.join("cudaext");
        std::fs::create_dir_all(&ext).ok()?;
        std::fs::write(ext.join("__init__.py"), "").ok()?;
        std::fs::write(d.join("core.c"), "int cudaext_core(void) { return 1; }\n").ok()?;
        let lib_dir = format!("-L{}", runtime.display());
        let built = common::gcc(&[
            "-shared",
            "-fPIC",
            "-o",
            ext.join("_core.so").to_str()?,
            d.join("core.c").to_str()?,
            &lib_dir,
            "-Wl,--no-as-needed",
            "-l:libcudart.so.12",
            "-Wl,-rpath,$ORIGIN/../nvidia/cuda_runtime/lib",
        ]);
        if !built {
            common::skip("gcc cannot build the extension module");
            return None;
        }
        let cuda = "int cuInit(unsigned flags) { return 0; }\n";
        library(&d.join("machine/driver"), "libcuda.so.1", cuda)?;
        library(
            &d.join("machine/driver"),
            "libnvidia-ml.so.1",
            "int nvmlInit_v2(void) { return 0; }\n",
        )?;
        std::fs::create_dir_all(d.join("toolkit/lib64/stubs")).ok()?;
        std::fs::copy(
            d.join("machine/driver/libcuda.so.1"),
            d.join("toolkit/lib64/stubs/libcuda.so.1"),
        )
        .ok()?;
        std::fs::write(d.join("machine/version"), VERSION).ok()?;
        std::fs::write(d.join("machine/os-release"), "NAME=NixOS\nID=nixos\n").ok()?;
        Some(Project { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn stubs(&self) -> String {
        self.path()
            .join("toolkit/lib64/stubs")
            .display()
            .to_string()
    }
}

/// `pydoctor args…` on a machine with the fake driver dir and version file, or None after a
/// loud skip (not root, no unshare, a mount refused).
fn on_fake_nixos(machine: &Path, args: &[&str], envs: &[(&str, &str)], cwd: &Path) -> Option<Run> {
    if !common::host::skip::is_root() {
        common::skip("a fake /run/opengl-driver/lib needs root (unshare -m)");
        return None;
    }
    let mut cmd = common::clean("unshare", cwd);
    cmd.args(["-m", "sh", "-c", ENTER, "sh"])
        .arg(machine)
        .arg(common::bin())
        .args(args)
        .envs(envs.iter().copied());
    let run = common::run_with_stdin(&mut cmd, None);
    if (90..=92).contains(&run.code) {
        common::skip(format!(
            "the fake driver dir could not be mounted: {}",
            run.stderr.trim()
        ));
        return None;
    }
    Some(run)
}

fn library_entry<'a>(doc: &'a Value, soname: &str) -> &'a Value {
    doc["environment"]["cuda"]["libraries"]
        .as_array()
        .expect("cuda.libraries")
        .iter()
        .find(|l| l["soname"] == soname)
        .unwrap_or_else(|| panic!("no {soname} in {:#}", doc["environment"]["cuda"]))
}

/// A library this machine's own loader finds (a GPU machine's driver): then "not found" is
/// not what to expect, and the caller skips that part loudly.
fn found_on_this_machine(entry: &Value) -> bool {
    let Some(path) = entry["path"].as_str() else {
        return false;
    };
    common::skip(format!("this machine has its own {path}"));
    true
}

#[test]
fn the_runtime_comes_through_rpath_and_a_stub_on_ld_library_path_is_named() {
    let Some(python) = common::host_python() else {
        return;
    };
    let Some(project) = Project::new() else {
        return;
    };
    let py = python.to_str().unwrap();
    let driver = project.path().join("machine/driver");
    let llp = format!("{}:{}", project.stubs(), driver.display());
    let run = common::pydoctor(
        &[
            "check", "cudaext", "--cuda", "--python", py, "--format", "json",
        ],
        &[("LD_LIBRARY_PATH", &llp)],
        project.path(),
    );
    // The import works; CUDA would not: the stub is a problem of this check.
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let doc = run.json();
    let core = project.path().join("cudaext/_core.so");
    let cudart = library_entry(&doc, "libcudart.so.12");
    assert_eq!(cudart["how"], "needed");
    assert_eq!(cudart["requested_by"], core.to_str().unwrap());
    // The linker writes RUNPATH or RPATH, as its default dtags are: either is the file's own.
    let via = cudart["found_via"].as_str().unwrap();
    assert!(via == "runpath" || via == "rpath", "{cudart:#}");
    assert!(
        cudart["path"]
            .as_str()
            .unwrap()
            .ends_with("nvidia/cuda_runtime/lib/libcudart.so.12"),
        "{cudart:#}"
    );
    let libcuda = library_entry(&doc, "libcuda.so.1");
    assert_eq!(libcuda["how"], "dlopen");
    assert_eq!(libcuda["found_via"], "ld_library_path");
    assert_eq!(libcuda["stub"], true, "{libcuda:#}");
    let stubs = &doc["environment"]["cuda"]["stubs"];
    assert_eq!(stubs[0]["dir"], project.stubs().as_str(), "{stubs:#}");
    assert_eq!(
        stubs[0]["shadows"],
        driver.join("libcuda.so.1").to_str().unwrap(),
        "{stubs:#}"
    );

    let diagnosis = common::diagnosis(&doc, "missing-shared-library").expect("a diagnosis");
    assert_eq!(diagnosis["rule"], "PD110", "{doc:#}");
    let snippet = common::fix(diagnosis, "drop-stub-dir")["snippet"]
        .as_str()
        .unwrap()
        .to_string();

    // The fix, run as shown in the shell that had the stubs dir, leaves the driver's dir.
    let ran = common::clean("sh", project.path())
        .args(["-c", &format!("{snippet}\nprintf %s \"$LD_LIBRARY_PATH\"")])
        .env("LD_LIBRARY_PATH", &llp)
        .output()
        .unwrap();
    let llp = String::from_utf8_lossy(&ran.stdout).into_owned();
    assert_eq!(llp, driver.display().to_string(), "{snippet}");

    // Without the stubs dir the driver's copy is found, and nothing is called a stub.
    let args = [
        "check", "cudaext", "--cuda", "--python", py, "--format", "json",
    ];
    let doc = common::pydoctor(&args, &[("LD_LIBRARY_PATH", &llp)], project.path()).json();
    let libcuda = library_entry(&doc, "libcuda.so.1");
    assert_eq!(
        libcuda["path"],
        driver.join("libcuda.so.1").to_str().unwrap()
    );
    assert!(libcuda.get("stub").is_none(), "{libcuda:#}");
    assert!(doc["environment"]["cuda"].get("stubs").is_none());
    assert_eq!(doc["status"], "ok", "{doc:#}");
    let rules: Vec<&Value> = doc["diagnoses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["rule"])
        .collect();
    assert!(!rules.contains(&&Value::from("PD110")), "{doc:#}");

    // Without --cuda there is no cuda block.
    let args = ["check", "cudaext", "--python", py, "--format", "json"];
    let doc = common::pydoctor(&args, &[], project.path()).json();
    assert!(doc["environment"].get("cuda").is_none(), "{doc:#}");
}

#[test]
fn libcuda_nowhere_is_said_with_the_dirs_tried() {
    let Some(python) = common::host_python() else {
        return;
    };
    let Some(project) = Project::new() else {
        return;
    };
    let py = python.to_str().unwrap();
    let args = [
        "check", "cudaext", "--cuda", "--python", py, "--format", "json",
    ];
    let doc = common::pydoctor(&args, &[], project.path()).json();
    let libcuda = library_entry(&doc, "libcuda.so.1");
    if found_on_this_machine(libcuda) {
        return;
    }
    // Not NixOS and not a Nix python: the driver is to be installed (rule PD112).
    let env = &doc["environment"];
    if env["os"]["nixos"] == false && env["python"]["kind"] != "nix-store" {
        let diagnosis = common::diagnosis(&doc, "missing-shared-library").expect("a diagnosis");
        assert_eq!(diagnosis["rule"], "PD112", "{doc:#}");
        assert_eq!(common::fix_ids(diagnosis), ["distro-package"]);
    }
    assert!(
        !libcuda["tried"].as_array().unwrap().is_empty(),
        "{libcuda:#}"
    );

    let human = common::pydoctor(&args[..5], &[], project.path());
    assert!(
        human
            .stdout
            .contains("libcuda.so.1 (dlopen): not found; tried"),
        "{}",
        human.stdout
    );
    // The driver is not in any DT_NEEDED: the package loads it when CUDA is first used.
    assert!(
        human.stdout.contains("loaded at run time by"),
        "{}",
        human.stdout
    );
}

#[test]
fn on_fake_nixos_libcuda_is_found_in_the_driver_dir_and_the_version_is_read() {
    let Some(python) = common::host_python() else {
        return;
    };
    let Some(project) = Project::new() else {
        return;
    };
    let py = python.to_str().unwrap();
    let machine = project.path().join("machine");
    let args = [
        "check", "cudaext", "--cuda", "--python", py, "--format", "json",
    ];
    let llp = format!("{}:/run/opengl-driver/lib", project.stubs());
    let Some(run) = on_fake_nixos(
        &machine,
        &args,
        &[("LD_LIBRARY_PATH", &llp)],
        project.path(),
    ) else {
        return;
    };
    let doc = run.json();
    let cuda = &doc["environment"]["cuda"];
    assert_eq!(cuda["driver_dir"], "/run/opengl-driver/lib");
    assert_eq!(cuda["driver_dir_exists"], true, "{cuda:#}");
    assert_eq!(cuda["driver_dir_has_libcuda"], true, "{cuda:#}");
    assert_eq!(cuda["driver_version"], "550.54.14", "{cuda:#}");
    assert_eq!(
        cuda["stubs"][0]["shadows"],
        "/run/opengl-driver/lib/libcuda.so.1"
    );
    assert_eq!(library_entry(&doc, "libcuda.so.1")["stub"], true);

    // Nothing on LD_LIBRARY_PATH: libcuda is not reachable, and the NixOS fixes are given;
    // the driver dir exists here, so its LD_LIBRARY_PATH line passes the runnable check.
    let Some(run) = on_fake_nixos(&machine, &args, &[], project.path()) else {
        return;
    };
    let doc = run.json();
    assert_eq!(doc["environment"]["os"]["nixos"], true, "{doc:#}");
    let diagnosis = common::diagnosis(&doc, "missing-shared-library").expect("a diagnosis");
    assert_eq!(diagnosis["rule"], "PD106", "{doc:#}");
    let ids = common::fix_ids(diagnosis);
    assert!(ids.contains(&"ld-library-path".to_string()), "{ids:?}");
    assert!(ids.contains(&"hardware-graphics".to_string()), "{ids:?}");
    let export = common::fix(diagnosis, "ld-library-path")["snippet"]
        .as_str()
        .unwrap();
    assert!(export.contains("/run/opengl-driver/lib"), "{export}");

    // The driver dir on LD_LIBRARY_PATH alone: the real one is found, from there.
    let llp = [("LD_LIBRARY_PATH", "/run/opengl-driver/lib")];
    let doc = on_fake_nixos(&machine, &args, &llp, project.path())
        .unwrap()
        .json();
    let libcuda = library_entry(&doc, "libcuda.so.1");
    assert_eq!(libcuda["path"], "/run/opengl-driver/lib/libcuda.so.1");
    assert_eq!(libcuda["found_via"], "ld_library_path");
    assert_eq!(doc["status"], "ok", "{doc:#}");
}

#[test]
fn pynvml_from_pypi_finds_libnvidia_ml_only_where_the_driver_is() {
    let Some(host) = common::host() else { return };
    let Some(venv_python) = common::venv_of(host, "cuda-pynvml", &["nvidia-ml-py"]) else {
        return;
    };
    let Some(project) = Project::new() else {
        return;
    };
    let py = venv_python.to_str().unwrap();
    let args = [
        "check", "pynvml", "--cuda", "--python", py, "--format", "json",
    ];
    let doc = common::pydoctor(&args, &[], project.path()).json();
    let nvml = library_entry(&doc, "libnvidia-ml.so.1");
    assert_eq!(nvml["how"], "dlopen");
    // pynvml is pure Python: ctypes dlopens from the interpreter itself.
    assert!(
        nvml["requested_by"].as_str().unwrap().contains("python"),
        "{nvml:#}"
    );
    if !found_on_this_machine(nvml) {
        assert!(!nvml["tried"].as_array().unwrap().is_empty(), "{nvml:#}");
    }
    let machine = project.path().join("machine");
    let llp = [("LD_LIBRARY_PATH", "/run/opengl-driver/lib")];
    let Some(run) = on_fake_nixos(&machine, &args, &llp, project.path()) else {
        return;
    };
    let doc = run.json();
    let nvml = library_entry(&doc, "libnvidia-ml.so.1");
    assert_eq!(
        nvml["path"], "/run/opengl-driver/lib/libnvidia-ml.so.1",
        "{nvml:#}"
    );
    assert_eq!(nvml["found_via"], "ld_library_path");
}

/// torch's message when the CUDA runtime cannot load the driver, as pytorch/pytorch#74733
/// shows it, is evidence of a missing libcuda.so.1; in a package Nix built, rule PD111.
#[test]
fn explain_reads_torchs_no_driver_message_as_a_missing_libcuda() {
    const WARNING: &str = "/home/python3_env/venv-py3/lib/python3.6/site-packages/torch/cuda/__init__.py:52: UserWarning: CUDA initialization: Found no NVIDIA driver on your system. Please check that you have an NVIDIA GPU and installed a driver from http://www.nvidia.com/Download/index.aspx (Triggered internally at  /pytorch/c10/cuda/CUDAFunctions.cpp:100.)\n  return torch._C._cuda_getDeviceCount() > 0\n";
    let dir = tempfile::tempdir().unwrap();
    let explain = |text: &str| {
        let mut cmd = common::clean(common::bin(), dir.path());
        cmd.args(["--format", "json", "explain", "--text-only"]);
        common::run_with_stdin(&mut cmd, Some(text.as_bytes())).json()
    };
    let doc = explain(WARNING);
    let diagnosis = common::diagnosis(&doc, "missing-shared-library").expect("a diagnosis");
    assert_eq!(diagnosis["library"], "libcuda.so.1", "{doc:#}");

    // The same message under a frame of torch in the Nix store (a constructed paste, not a
    // quoted one): the package's RUNPATH is what lacks the driver's dir.
    let nix = "  File \"/nix/store/9s1hb2z6mffnswdar2bz3dl8bmb-python3.11-torch-2.4.0/lib/python3.11/site-packages/torch/cuda/__init__.py\", line 314, in _lazy_init\n    torch._C._cuda_init()\nRuntimeError: Found no NVIDIA driver on your system. Please check that you have an NVIDIA GPU and installed a driver from http://www.nvidia.com/Download/index.aspx\n";
    let doc = explain(nix);
    let diagnosis = common::diagnosis(&doc, "missing-shared-library").expect("a diagnosis");
    assert_eq!(diagnosis["rule"], "PD111", "{doc:#}");
    assert!(common::fix_ids(diagnosis).contains(&"driver-runpath".to_string()));
}

/// A venv of the FHS python with the project's package (and its `nvidia` dir) in its
/// site-packages; its `bin/python`.
fn venv_with_package(project: &Project) -> Option<PathBuf> {
    let host = common::fhs_python()?;
    let venv = project.path().join("venv");
    let made = common::clean(&host.executable, project.path())
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv)
        .status()
        .is_ok_and(|s| s.success());
    if !made {
        common::skip("cannot make a venv of the FHS python");
        return None;
    }
    let site = host.site_packages(&venv);
    for dir in ["cudaext", "nvidia"] {
        let copied = common::clean("cp", project.path())
            .arg("-r")
            .arg(project.path().join(dir))
            .arg(&site)
            .status()
            .is_ok_and(|s| s.success());
        assert!(copied, "cp -r {dir}");
    }
    Some(venv.join("bin/python"))
}

#[test]
fn on_fake_nixos_the_driver_dir_fix_is_verified_and_pydoctor_fix_preloads_the_driver() {
    let Some(project) = Project::new() else {
        return;
    };
    let Some(python) = venv_with_package(&project) else {
        return;
    };
    let machine = project.path().join("machine");
    let elsewhere = project.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let py = python.to_str().unwrap();
    let check = [
        "check", "cudaext", "--cuda", "--python", py, "--format", "json",
    ];
    let Some(run) = on_fake_nixos(&machine, &check, &[], &elsewhere) else {
        return;
    };
    let doc = run.json();
    assert_eq!(
        doc["environment"]["cuda"]["driver_dir_resolves"], true,
        "{doc:#}"
    );
    let diagnosis = common::diagnosis(&doc, "missing-shared-library").expect("a diagnosis");
    assert_eq!(diagnosis["rule"], "PD106", "{doc:#}");
    let export = common::fix(diagnosis, "ld-library-path");
    assert_eq!(export["verified"], "verified", "{export:#}");
    assert_eq!(export["verified_by"], "resolver");

    // `pydoctor fix --cuda` preloads the driver's libraries from the driver dir.
    let fix = [
        "fix", "cudaext", "--cuda", "--python", py, "--format", "json",
    ];
    let run = on_fake_nixos(&machine, &fix, &[], &elsewhere).unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let doc = run.json();
    assert_eq!(doc["fix"]["action"], "applied", "{doc:#}");
    let paths: Vec<&str> = doc["fix"]["libraries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["path"].as_str().unwrap())
        .collect();
    assert!(
        paths.contains(&"/run/opengl-driver/lib/libcuda.so.1"),
        "{paths:?}"
    );

    // Checked again, the driver is already loaded when the package asks for it.
    let doc = on_fake_nixos(&machine, &check, &[], &elsewhere)
        .unwrap()
        .json();
    assert_eq!(doc["status"], "ok", "{doc:#}");
    let libcuda = library_entry(&doc, "libcuda.so.1");
    assert_eq!(libcuda["found_via"], "already-loaded", "{libcuda:#}");
}
