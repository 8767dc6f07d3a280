//! Which python to diagnose, and why it cannot start when it cannot.
//!
//! Discovery order (docs/commands/check.md): `--python PATH`, else `$VIRTUAL_ENV/bin/python`, else
//! `./.venv/bin/python` (relative to the request's working directory), else `python3` on the
//! request's `PATH`. The path is kept as given (a venv's `bin/python` symlink is what makes it a
//! venv) beside its real file: symlinks resolved and a Nix `makeBinaryWrapper` wrapper seen
//! through. This module does not run the interpreter; `probe_script` does.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Settings;
use crate::error::{Error, Result};
use crate::evidence::{CauseKind, FhsLoaderKind, Finding, FindingSource};

use super::pt_interp::{self, Interp};
use super::python_file::{self, PythonFile};

/// How the interpreter was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HowFound {
    /// `--python PATH`.
    Flag,
    /// `$VIRTUAL_ENV/bin/python`.
    VirtualEnv,
    /// `./.venv/bin/python` in the working directory.
    DotVenv,
    /// `python3` on `PATH`.
    Path,
}

impl HowFound {
    pub fn describe(self) -> &'static str {
        match self {
            HowFound::Flag => "--python",
            HowFound::VirtualEnv => "$VIRTUAL_ENV",
            HowFound::DotVenv => "./.venv",
            HowFound::Path => "python3 on PATH",
        }
    }
}

/// The interpreter under diagnosis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interpreter {
    /// The path as given or found (absolute); this is what gets run.
    pub path: PathBuf,
    /// The real interpreter file: symlinks resolved, a binary wrapper seen through.
    pub real: PathBuf,
    pub how_found: HowFound,
    /// The wrapper's own (resolved) path, when `path` leads to a Nix binary wrapper.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrapper: Option<PathBuf>,
}

/// Find the interpreter to diagnose. `python_flag` is `--python` (relative to the request's
/// working directory; a bare name is looked up on the request's `PATH`).
pub fn discover(python_flag: Option<&Path>, settings: &Settings) -> Result<Interpreter> {
    if let Some(flag) = python_flag {
        let path = resolve_flag(flag, settings)?;
        let interpreter = Interpreter::at(path, HowFound::Flag);
        refuse_non_python(&interpreter)?;
        return Ok(interpreter);
    }
    if let Some(venv) = &settings.virtual_env {
        let candidate = settings.cwd.join(venv).join("bin/python");
        if is_file(&candidate) {
            return Ok(Interpreter::at(candidate, HowFound::VirtualEnv));
        }
    }
    let dot_venv = settings.cwd.join(".venv/bin/python");
    if is_file(&dot_venv) {
        return Ok(Interpreter::at(dot_venv, HowFound::DotVenv));
    }
    if let Some(found) = settings.search_path("python3") {
        return Ok(Interpreter::at(found, HowFound::Path));
    }
    Err(Error::Usage(
        "no python found: pass --python PATH, activate a venv ($VIRTUAL_ENV), \
         or put python3 on PATH"
            .into(),
    ))
}

/// A `--python` that is not an interpreter is the user's mistake, not a python that cannot
/// start: say what the file is, and point at the venv's python when a venv path was given.
fn refuse_non_python(interpreter: &Interpreter) -> Result<()> {
    let PythonFile::NotPython(what) = python_file::classify(&interpreter.real) else {
        return Ok(());
    };
    let given = &interpreter.path;
    let hint = [
        given.join("bin/python"),
        given.join("python"),
        given.with_file_name("python"),
    ]
    .into_iter()
    .find(|p| {
        // A Nix wrapper carries no Python runtime itself: its target is what is judged.
        let real = Interpreter::at(p.clone(), HowFound::Flag).real;
        p != given
            && is_file(p)
            && !matches!(python_file::classify(&real), PythonFile::NotPython(_))
    })
    .map(|p| format!("; did you mean --python {}?", p.display()))
    .unwrap_or_default();
    Err(Error::Usage(format!(
        "--python {}: {what}, not a Python interpreter{hint}",
        given.display()
    )))
}

fn resolve_flag(flag: &Path, settings: &Settings) -> Result<PathBuf> {
    let text = flag.as_os_str().to_string_lossy();
    if !text.contains('/') {
        // A bare name is looked up on PATH, like a shell would; one that is only a path in
        // the working directory (`--python .venv`) is taken as that path.
        let local = settings.cwd.join(flag);
        return settings
            .search_path(&text)
            .or_else(|| local.exists().then_some(local))
            .ok_or_else(|| Error::Usage(format!("--python {text}: not found on PATH")));
    }
    let path = settings.cwd.join(flag);
    if is_file(&path) || path.is_dir() {
        Ok(path)
    } else {
        Err(Error::Usage(format!(
            "--python {}: no such file",
            path.display()
        )))
    }
}

fn is_file(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file())
}

impl Interpreter {
    /// An interpreter at `path`, its real file worked out from the file system.
    pub fn at(path: PathBuf, how_found: HowFound) -> Interpreter {
        let resolved = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        match wrapped_target(&resolved) {
            Some(target) => Interpreter {
                path,
                real: std::fs::canonicalize(&target).unwrap_or(target),
                how_found,
                wrapper: Some(resolved),
            },
            None => Interpreter {
                path,
                real: resolved,
                how_found,
                wrapper: None,
            },
        }
    }

    /// Take the real executable the running process reported (`/proc/self/exe` in the
    /// probe): after a wrapper's exec this is the interpreter itself. A program loader is
    /// not: a python started as `ld.so python` (by a nix-ld that execs `$NIX_LD`, or by a
    /// wrapper script) reports the loader, and its real file stays the one it was started as.
    pub fn with_running_executable(mut self, proc_exe: &str) -> Interpreter {
        let exe = PathBuf::from(proc_exe);
        if exe != self.real && exe.is_absolute() && !super::system::is_program_loader(&exe) {
            if self.wrapper.is_none() && exe != self.path {
                let resolved = std::fs::canonicalize(&self.path).unwrap_or(self.path.clone());
                if resolved != exe {
                    self.wrapper = Some(resolved);
                }
            }
            self.real = exe;
        }
        self
    }
}

/// Marker that nixpkgs' `makeBinaryWrapper` leaves in the wrappers it compiles: the generating
/// command is embedded as documentation, and it names the wrapped executable first.
const BINARY_WRAPPER_MARKER: &[u8] = b"makeCWrapper";
const WRAPPER_SIZE_LIMIT: u64 = 4 * 1024 * 1024;

/// When `file` is a Nix binary wrapper, the executable it runs.
pub fn wrapped_target(file: &Path) -> Option<PathBuf> {
    let bytes = read_wrapper(file)?;
    if !bytes.starts_with(b"\x7fELF") {
        return None;
    }
    let at = find(&bytes, BINARY_WRAPPER_MARKER)?;
    let rest = &bytes[at + BINARY_WRAPPER_MARKER.len()..];
    let rest = &rest[..rest.iter().position(|&b| b == 0).unwrap_or(rest.len())];
    let text = String::from_utf8_lossy(rest);
    let first = text.split_whitespace().next()?;
    let target = first.trim_matches(|c| c == '\'' || c == '"');
    (target.starts_with('/') && Path::new(target) != file).then(|| PathBuf::from(target))
}

/// The bytes of a file that may be a wrapper: a regular file no bigger than wrappers get (a
/// FIFO, a device or a huge file is not read).
pub fn read_wrapper(file: &Path) -> Option<Vec<u8>> {
    let meta = std::fs::metadata(file).ok()?;
    if !meta.is_file() || meta.len() > WRAPPER_SIZE_LIMIT {
        return None;
    }
    std::fs::read(file).ok()
}

pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Why an interpreter produced no probe record at all: what the file system and the ELF say,
/// with what the process printed. `fhs_loader` is what the FHS loader path is on this machine
/// (stub-ld explains a python that "cannot start" on NixOS).
pub fn cannot_start_finding(
    interpreter: &Interpreter,
    exec_error: Option<&str>,
    stderr: &str,
    fhs_loader: Option<(FhsLoaderKind, &Path)>,
) -> Finding {
    let mut parts = Vec::new();
    let mut missing_loader = None;
    if let Some(e) = exec_error {
        parts.push(format!(
            "cannot execute {}: {e}",
            interpreter.path.display()
        ));
    }
    match pt_interp::read(&interpreter.real) {
        Interp::Path(loader) => {
            if !Path::new(&loader).exists() {
                parts.push(format!("PT_INTERP {loader} does not exist"));
                missing_loader = Some(loader);
            } else if let Some((kind, fhs_path)) = fhs_loader
                && Path::new(&loader) == fhs_path
                && kind == FhsLoaderKind::StubLd
            {
                parts.push(format!(
                    "PT_INTERP {loader} is NixOS's stub-ld, which runs no program"
                ));
            }
        }
        Interp::NotElf => parts.push(format!("{} is not an ELF file", interpreter.real.display())),
        Interp::Unreadable(e) => parts.push(format!("{}: {e}", interpreter.real.display())),
        Interp::None => {}
    }
    let said = stderr_summary(stderr);
    if !said.is_empty() {
        parts.push(format!("it said: {said}"));
    }
    if parts.is_empty() {
        parts.push("the interpreter exited without running the probe".into());
    }
    let mut finding = Finding::new(
        CauseKind::InterpreterCannotStart,
        FindingSource::Probe,
        parts.join("; "),
    )
    .required_by(interpreter.real.to_string_lossy());
    finding.library = missing_loader;
    finding
}

/// A python whose PT_INTERP is the FHS path, where that path is nix-ld and the loader nix-ld
/// would start (`nix_ld_target`: `$NIX_LD`, or nix-ld's default) is not there: nix-ld starts
/// nothing. Then that is the finding, in place of `generic` (whose detail it keeps): it names
/// that loader, needed by the FHS path (nix-ld itself).
pub fn explained_by_nix_ld(
    generic: Finding,
    interpreter: &Interpreter,
    fhs_loader: Option<(FhsLoaderKind, &Path)>,
    nix_ld_target: &Path,
) -> Finding {
    match nix_ld_without_loader(interpreter, fhs_loader, nix_ld_target) {
        Some(mut ours) => {
            ours.detail = format!("{}; {}", ours.detail, generic.detail);
            ours
        }
        None => generic,
    }
}

fn nix_ld_without_loader(
    interpreter: &Interpreter,
    fhs_loader: Option<(FhsLoaderKind, &Path)>,
    nix_ld_target: &Path,
) -> Option<Finding> {
    let (kind, fhs_path) = fhs_loader?;
    let Interp::Path(loader) = pt_interp::read(&interpreter.real) else {
        return None;
    };
    if kind != FhsLoaderKind::NixLd || Path::new(&loader) != fhs_path || nix_ld_target.exists() {
        return None;
    }
    Some(
        Finding::new(
            CauseKind::InterpreterCannotStart,
            FindingSource::Probe,
            format!(
                "PT_INTERP {loader} is nix-ld, which starts the loader NIX_LD names \
                 ({}, NIX_LD or its default), and that file does not exist",
                nix_ld_target.display()
            ),
        )
        .library(nix_ld_target.to_string_lossy())
        .required_by(fhs_path.to_string_lossy()),
    )
}

/// The last few non-empty lines of what the process printed, on one line, bounded.
fn stderr_summary(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let tail = &lines[lines.len().saturating_sub(3)..];
    let mut text = tail.join(" | ");
    if text.len() > 600 {
        let mut cut = 600;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(cwd: &Path, vars: &[(&str, &str)]) -> Settings {
        crate::request::Request::with_vars(cwd, vars).env_settings()
    }

    fn fake_python(path: &Path) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        // A pyenv-style shim: a launcher, which `--python` accepts.
        std::fs::write(path, "#!/bin/sh\nexec pyenv exec python3 \"$@\"\n").unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[test]
    fn discovery_order_is_flag_then_virtual_env_then_dot_venv_then_path() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path();
        fake_python(&root.join("venv/bin/python"));
        fake_python(&root.join("proj/.venv/bin/python"));
        fake_python(&root.join("bin/python3"));
        let path = root.join("bin").to_string_lossy().to_string();
        let venv = root.join("venv").to_string_lossy().to_string();

        let r = request(
            &root.join("proj"),
            &[("PATH", &path), ("VIRTUAL_ENV", &venv)],
        );
        let flag = root.join("bin/python3");
        assert_eq!(discover(Some(&flag), &r).unwrap().how_found, HowFound::Flag);
        let i = discover(None, &r).unwrap();
        assert_eq!(
            (i.how_found, i.path.clone()),
            (HowFound::VirtualEnv, root.join("venv/bin/python"))
        );

        let r = request(&root.join("proj"), &[("PATH", &path)]);
        assert_eq!(discover(None, &r).unwrap().how_found, HowFound::DotVenv);

        let r = request(root, &[("PATH", &path)]);
        let i = discover(None, &r).unwrap();
        assert_eq!(
            (i.how_found, i.path),
            (HowFound::Path, root.join("bin/python3"))
        );

        let r = request(root, &[("PATH", "/nonexistent")]);
        assert!(matches!(discover(None, &r), Err(Error::Usage(_))));
        assert!(matches!(
            discover(Some(Path::new("./missing/python")), &r),
            Err(Error::Usage(_))
        ));
    }

    #[test]
    fn a_missing_pt_interp_is_named() {
        let t = tempfile::tempdir().unwrap();
        let src = t.path().join("m.c");
        std::fs::write(&src, "int main(void){return 0;}\n").unwrap();
        let exe = t.path().join("python3");
        let ok = std::process::Command::new("gcc")
            .arg(&src)
            .arg("-o")
            .arg(&exe)
            .arg("-Wl,--dynamic-linker=/lib64/ld-missing-x86-64.so.2")
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !ok {
            eprintln!("SKIPPED: gcc could not build the fixture");
            return;
        }
        let interp = Interpreter::at(exe.clone(), HowFound::Flag);
        let err = std::process::Command::new(&exe).status().unwrap_err();
        let f = cannot_start_finding(&interp, Some(&err.to_string()), "", None);
        assert_eq!(f.kind, CauseKind::InterpreterCannotStart);
        assert!(
            f.detail
                .contains("PT_INTERP /lib64/ld-missing-x86-64.so.2 does not exist"),
            "{}",
            f.detail
        );
        assert_eq!(f.library.as_deref(), Some("/lib64/ld-missing-x86-64.so.2"));
    }
}
