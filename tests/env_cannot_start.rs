//! Interpreters that cannot start, built here: one whose libpython is not found, one whose
//! PT_INTERP is a stand-in for NixOS's stub-ld; and a Nix-style binary wrapper seen through.

#[path = "support/nixlike.rs"]
mod nixlike;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use pydoctor::env::interpreter::{HowFound, Interpreter, cannot_start_finding};
use pydoctor::request::Request;
use pydoctor::source::probe::{self, ProbeOptions, ProbeOutcome};

fn options(cwd: &Path) -> ProbeOptions {
    let mut request = Request::from_process(vec![]);
    request.cwd = cwd.to_path_buf();
    ProbeOptions::new(
        request.vars.clone(),
        request.cwd.clone(),
        Duration::from_secs(30),
    )
}

fn run(cmd: &mut Command) -> bool {
    cmd.status().is_ok_and(|s| s.success())
}

fn cannot_start(exe: &Path, cwd: &Path) -> (Interpreter, probe::StartFailure) {
    let interp = Interpreter::at(exe.to_path_buf(), HowFound::Flag);
    match probe::run_facts(&interp.path, &options(cwd)).unwrap() {
        ProbeOutcome::CannotStart(f) => (interp, f),
        other => panic!("expected CannotStart, got {other:?}"),
    }
}

#[test]
fn a_python_whose_libpython_is_not_found_cannot_start() {
    // The Nix-like python's loader reads no ld.so.cache (as on Nix), so with its RUNPATH cut
    // back to glibc alone, libpython is found nowhere.
    let Some(python) = nixlike::python() else {
        return;
    };
    let glibc = nixlike::package_lib("glibc-2.36").unwrap();
    let t = tempfile::tempdir().unwrap();
    let libpython = format!("libpython{}.so.1.0", nixlike::short_version());
    let exe = t.path().join(python.file_name().unwrap());
    std::fs::copy(&python, &exe).unwrap();
    // A python that links libpython statically (Debian's) is given the DT_NEEDED a shared
    // build has, so that the loader must find it.
    let needed = Command::new("patchelf")
        .arg("--print-needed")
        .arg(&exe)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let add_needed = needed.lines().any(|l| l == libpython)
        || run(Command::new("patchelf")
            .arg("--add-needed")
            .arg(&libpython)
            .arg(&exe));
    if !add_needed
        || !run(Command::new("patchelf")
            .arg("--set-rpath")
            .arg(&glibc)
            .arg(&exe))
    {
        nixlike::skip::skip("no patchelf");
        return;
    }
    let (interp, failure) = cannot_start(&exe, t.path());
    assert_eq!(failure.exit_status, Some(127));
    let finding = cannot_start_finding(&interp, None, &failure.stderr.text, None);
    assert!(finding.detail.contains(&libpython), "{}", finding.detail);
}

#[test]
fn a_python_started_by_a_stub_loader_cannot_start_and_says_why() {
    let t = tempfile::tempdir().unwrap();
    let stub_src = t.path().join("stub.c");
    // Like the real stub-ld: a freestanding static program (a libc-started one cannot serve as
    // a PT_INTERP) that prints NixOS's message and exits 127.
    std::fs::write(
        &stub_src,
        "static long sys3(long n, long a, long b, long c) { long r;\n\
         __asm__ volatile(\"syscall\" : \"=a\"(r) : \"a\"(n), \"D\"(a), \"S\"(b), \"d\"(c) : \"rcx\", \"r11\", \"memory\");\n\
         return r; }\n\
         void _start(void) { static const char m[] = \"Could not start dynamically linked executable\\n\
         NixOS cannot run dynamically linked executables intended for generic\\n\";\n\
         sys3(1, 2, (long)m, sizeof m - 1); sys3(60, 127, 0, 0); for (;;) {} }\n",
    )
    .unwrap();
    let stub = t.path().join("stub-ld");
    let main_src = t.path().join("m.c");
    std::fs::write(&main_src, "int main(void){return 0;}\n").unwrap();
    let exe = t.path().join("python3");
    let built = run(Command::new("gcc")
        .args([
            "-nostdlib",
            "-static-pie",
            "-fPIE",
            "-fno-stack-protector",
            "-O2",
        ])
        .arg(&stub_src)
        .arg("-o")
        .arg(&stub))
        && run(Command::new("gcc")
            .arg(&main_src)
            .arg("-o")
            .arg(&exe)
            .arg(format!("-Wl,--dynamic-linker={}", stub.display())));
    if !built {
        nixlike::skip::skip("gcc could not build the stub loader");
        return;
    }
    let (interp, failure) = cannot_start(&exe, t.path());
    assert_eq!(failure.exit_status, Some(127));
    let finding = cannot_start_finding(&interp, None, &failure.stderr.text, None);
    assert!(
        finding.detail.contains("NixOS cannot run"),
        "{}",
        finding.detail
    );
}

#[test]
fn a_nix_binary_wrapper_is_seen_through() {
    let t = tempfile::tempdir().unwrap();
    let Some(host) = nixlike::host::python_or_skip() else {
        return;
    };
    let target = host.executable.display();
    // Like nixpkgs' makeBinaryWrapper: a tiny C program that execs the interpreter, with the
    // generating command embedded as documentation.
    let src = t.path().join("w.c");
    std::fs::write(
        &src,
        format!(
            "#include <unistd.h>\n\
             static const char doc[] __attribute__((used)) = \"makeCWrapper '{target}' --inherit-argv0\";\n\
             int main(int argc, char **argv){{ (void)argc; execv(\"{target}\", argv); return 127; }}\n"
        ),
    )
    .unwrap();
    let wrapper = t.path().join(host.executable.file_name().unwrap());
    if !run(Command::new("gcc").arg(&src).arg("-o").arg(&wrapper)) {
        nixlike::skip::skip("gcc could not build the wrapper");
        return;
    }
    let interp = Interpreter::at(wrapper.clone(), HowFound::Flag);
    assert_eq!(interp.real, host.executable.canonicalize().unwrap());
    assert_eq!(interp.wrapper, Some(wrapper.canonicalize().unwrap()));
    match probe::run_facts(&interp.path, &options(t.path())).unwrap() {
        ProbeOutcome::Ran(r) => {
            let exe = r.facts.unwrap().proc_exe.unwrap();
            assert_eq!(PathBuf::from(exe), interp.real);
        }
        other => panic!("{other:?}"),
    }
}
