//! Whether a file named by `--python` is a Python interpreter at all, before anything runs it.
//!
//! A mistaken `--python` (`/bin/ls`, `.venv/bin/activate`, a directory) must be a usage error
//! that says what the file is: diagnosing it as "python cannot start" would offer to recreate a
//! healthy venv. An interpreter is an ELF file that carries the CPython runtime (it needs
//! `libpython3.X.so` or exports `Py_BytesMain`/`Py_Initialize`, as a statically linked python
//! does), or a launcher script that hands over to one (a pyenv or asdf shim, a Nix `makeWrapper`
//! script naming the real python).

use std::path::Path;

use goblin::elf::Elf;

/// What a file given as the interpreter turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PythonFile {
    /// An ELF executable with the CPython runtime in it or linked to it.
    Interpreter,
    /// A script that starts a python (a version-manager shim or a wrapper script).
    Launcher,
    /// Anything else, worded for the user ("a directory", "a shell script (#!/bin/sh)").
    NotPython(String),
}

/// Launcher scripts run by version managers; they exec the selected python.
const SHIM_MARKERS: &[&str] = &["pyenv", "asdf", "mise", "rtx"];
/// Scripts are small; a bigger "script" is data, not a launcher.
const SCRIPT_LIMIT: u64 = 64 * 1024;
/// Symbols every CPython executable defines when libpython is linked in statically.
const RUNTIME_SYMBOLS: &[&str] = &["Py_BytesMain", "Py_Initialize", "Py_Main"];

pub fn classify(path: &Path) -> PythonFile {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => return PythonFile::NotPython(format!("unreadable ({e})")),
    };
    if meta.is_dir() {
        return PythonFile::NotPython("a directory".into());
    }
    if !meta.is_file() {
        return PythonFile::NotPython("not a regular file".into());
    }
    let head = match read_prefix(path, 4) {
        Ok(h) => h,
        Err(e) => return PythonFile::NotPython(format!("unreadable ({e})")),
    };
    if head.starts_with(b"\x7fELF") {
        return classify_elf(path);
    }
    if head.starts_with(b"#!") {
        return classify_script(path, meta.len());
    }
    PythonFile::NotPython("not a program (no ELF header, no #! line)".into())
}

fn read_prefix(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(limit)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn classify_elf(path: &Path) -> PythonFile {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => return PythonFile::NotPython(format!("unreadable ({e})")),
    };
    // SAFETY: the map is read-only and private; a file truncated under us can fault, which is
    // the same risk every ELF tool takes, and pydoctor reads only the interpreter's headers.
    let map = match unsafe { memmap2::Mmap::map(&file) } {
        Ok(m) => m,
        Err(e) => return PythonFile::NotPython(format!("unreadable ({e})")),
    };
    let Ok(elf) = Elf::parse(&map) else {
        return PythonFile::NotPython("a malformed ELF file".into());
    };
    if elf.libraries.iter().any(|l| l.starts_with("libpython")) {
        return PythonFile::Interpreter;
    }
    let exports_runtime = elf.dynsyms.iter().any(|sym| {
        sym.st_shndx != 0
            && elf
                .dynstrtab
                .get_at(sym.st_name)
                .is_some_and(|name| RUNTIME_SYMBOLS.contains(&name))
    });
    if exports_runtime {
        return PythonFile::Interpreter;
    }
    let what = if elf.is_lib && elf.interpreter.is_none() {
        "a shared library"
    } else {
        "an ELF program with no Python runtime in it (no libpython, no Py_ symbols)"
    };
    PythonFile::NotPython(what.into())
}

fn classify_script(path: &Path, size: u64) -> PythonFile {
    let Ok(bytes) = read_prefix(path, SCRIPT_LIMIT.min(size.max(1))) else {
        return PythonFile::NotPython("an unreadable script".into());
    };
    let text = String::from_utf8_lossy(&bytes);
    let shebang = text.lines().next().unwrap_or("").trim();
    let body: Vec<&str> = text.lines().skip(1).collect();
    let is_shim = body
        .iter()
        .any(|l| l.contains("exec") && SHIM_MARKERS.iter().any(|m| l.contains(m)));
    if is_shim || body.iter().any(|l| execs_a_python(l)) {
        return PythonFile::Launcher;
    }
    PythonFile::NotPython(format!("a script ({shebang})"))
}

/// A wrapper line such as `exec -a "$0" "/nix/store/…-python3-3.12.11/bin/python3.12" "$@"`.
fn execs_a_python(line: &str) -> bool {
    if !line.trim_start().starts_with("exec") {
        return false;
    }
    line.split(|c: char| c.is_whitespace() || c == '"' || c == '\'')
        .filter(|w| w.starts_with('/'))
        .any(|w| {
            let path = Path::new(w);
            let named_python = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("python"));
            named_python && classify_elf_path(path)
        })
}

fn classify_elf_path(path: &Path) -> bool {
    read_prefix(path, 4).is_ok_and(|h| h.starts_with(b"\x7fELF"))
        && classify_elf(path) == PythonFile::Interpreter
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn script(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }

    #[test]
    fn directories_text_and_plain_scripts_are_not_pythons() {
        let t = tempfile::tempdir().unwrap();
        assert_eq!(
            classify(t.path()),
            PythonFile::NotPython("a directory".into())
        );
        let activate = script(
            t.path(),
            "activate",
            "# This file must be used with \"source\"\n",
        );
        assert!(
            matches!(classify(&activate), PythonFile::NotPython(w) if w.contains("not a program"))
        );
        let sh = script(t.path(), "run.sh", "#!/bin/sh\necho hi\n");
        assert!(matches!(classify(&sh), PythonFile::NotPython(w) if w.contains("#!/bin/sh")));
    }

    #[test]
    fn version_manager_shims_are_launchers() {
        let t = tempfile::tempdir().unwrap();
        let shim = script(
            t.path(),
            "python3",
            "#!/usr/bin/env bash\nset -e\nexec \"/opt/pyenv/libexec/pyenv\" exec \"$program\" \"$@\"\n",
        );
        assert_eq!(classify(&shim), PythonFile::Launcher);
    }

    #[test]
    fn an_elf_program_without_the_runtime_is_not_a_python() {
        assert!(matches!(
            classify(Path::new("/bin/ls")),
            PythonFile::NotPython(w) if w.contains("no Python runtime")
        ));
    }

    #[test]
    fn a_garbage_elf_is_refused_without_a_panic() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("python3");
        std::fs::write(&p, b"\x7fELF\x02\x01\x01\0garbage").unwrap();
        assert!(matches!(classify(&p), PythonFile::NotPython(_)));
    }
}
