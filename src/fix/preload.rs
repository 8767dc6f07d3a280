//! The start-up preload a fix installs in the venv's site-packages: a `.pth` file, which
//! Python's `site` runs at every start, and the small module it runs. The module loads each
//! chosen library by absolute path, so that an extension module needing it by soname later
//! finds it already loaded (the loader's first step) instead of searching for it.
//!
//! This module only renders the two files' text; `apply` writes them.

use std::path::{Path, PathBuf};

/// The `.pth` file (site runs lines that start with `import`).
pub const PTH_FILE: &str = "_pydoctor_fix.pth";
/// The module the `.pth` line runs, kept readable for whoever opens site-packages.
pub const MODULE_FILE: &str = "_pydoctor_fix.py";
/// The module name handed to the import system's loader; a library never defines its init
/// function, so "does not define PyInit__pydoctor_preload" is how a successful load reads.
const PRELOAD_NAME: &str = "_pydoctor_preload";

/// The two files of a preload in `site_packages`, with their contents.
pub struct PreloadFiles {
    pub module: (PathBuf, String),
    pub pth: (PathBuf, String),
}

pub fn render(site_packages: &Path, libraries: &[String], created: &str) -> PreloadFiles {
    let module_path = site_packages.join(MODULE_FILE);
    PreloadFiles {
        pth: (site_packages.join(PTH_FILE), pth_line(&module_path)),
        module: (module_path, module_source(libraries, created)),
    }
}

/// One line: run the module's source if it is there. `exec` of the source rather than an
/// `import`, so that no `__pycache__` appears in site-packages and undo leaves it as it was;
/// the file is read in a `with` (an inner `exec`, as a `.pth` line holds simple statements
/// only), so that `-X dev` sees no unclosed file.
fn pth_line(module: &Path) -> String {
    let path = python_str(&module.to_string_lossy());
    let run = python_str(
        "with open(_pd) as _f:\n    exec(compile(_f.read(), _pd, 'exec'), {'__name__': '_pydoctor_fix'})",
    );
    format!("import os; _pd = {path}; os.path.isfile(_pd) and exec({run})\n")
}

fn module_source(libraries: &[String], created: &str) -> String {
    let list: String = libraries
        .iter()
        .map(|l| format!("    {},\n", python_str(l)))
        .collect();
    format!(
        r#"# Written by `pydoctor fix` on {created}; `pydoctor fix --undo` removes it.
#
# Loads the libraries below by absolute path when Python starts, so that an extension module
# that needs one of them by soname finds it already loaded and the loader does not search for
# it (no LD_LIBRARY_PATH, nothing outside this venv changed). They are loaded through the
# import system's own loader (_imp), with the flags Python uses for extension modules, and
# without ctypes (which needs libffi). A library that cannot be loaded gives one warning line.

LIBRARIES = [
{list}]


def _load(path):
    import _imp

    class Spec:
        name = "{PRELOAD_NAME}"
        origin = path

    try:
        _imp.create_dynamic(Spec)
    except ImportError as error:
        # Mapped: only the init function a library never has is missing.
        return "{PRELOAD_NAME}" in str(error)
    except Exception:
        return False
    return True


def _preload():
    pending = [p for p in LIBRARIES]
    # Twice: a library that needs another one of the list loads once that one is there.
    for _ in range(2):
        pending = [p for p in pending if not _load(p)]
    if pending:
        sys.stderr.write(
            "pydoctor fix: cannot load %s (gone?); imports that need it will fail; "
            "run `pydoctor check`\n" % ", ".join(pending)
        )


# Once per process: site runs a venv's .pth files twice on some Pythons (3.11 adds the venv's
# site-packages both for the venv and for its prefixes).
import sys

if "_pydoctor_fix" not in sys.modules:
    sys.modules["_pydoctor_fix"] = _marker = type(sys)("_pydoctor_fix")
    _marker.LIBRARIES = LIBRARIES
    try:
        _preload()
    except BaseException:
        pass
"#
    )
}

/// A Python string literal: a JSON string is one.
fn python_str(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "''".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_files_name_each_library_and_the_module_by_absolute_path() {
        let files = render(
            Path::new("/v/lib/python3.11/site-packages"),
            &["/s/a-zlib/lib/libz.so.1".into()],
            "2026-12-01",
        );
        assert!(files.pth.0.ends_with(PTH_FILE));
        assert!(files.pth.1.starts_with("import os; "));
        assert_eq!(files.pth.1.lines().count(), 1);
        assert!(
            files
                .pth
                .1
                .contains("\"/v/lib/python3.11/site-packages/_pydoctor_fix.py\"")
        );
        assert!(
            files
                .module
                .1
                .contains("    \"/s/a-zlib/lib/libz.so.1\",\n")
        );
        assert!(files.module.1.contains("on 2026-12-01;"));
    }
}
