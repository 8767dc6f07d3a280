//! The Python package a paste is about, so that fixes can name it.
//!
//! Owns reading it from what the text shows, most telling first: the installed package that
//! holds the file a loader message names (`site-packages/h5py/…`, `scipy.libs/…`), the
//! innermost frame under a `site-packages` (the package whose import failed), a wrapper
//! message's package (numpy's, pandas'), the first `import x` the user ran, a wheel's file
//! name, and the module a `No module named` names. It does not judge causes.

use std::sync::OnceLock;

use regex::Regex;

use super::messages::Tables;
use super::paste::truncate_at_char;
use crate::evidence::{CauseKind, Failure, Finding};

/// How much of one line the import and wheel patterns look at.
const MAX_LINE: usize = 1024;

/// `import x`, `from x.y import z`, as typed at a prompt, in a notebook cell, after `-c`.
fn import_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r#"^\s*(?:>>>\s*|In \[\d*\]:\s*|-*>\s*\d+\s+|\d+\s+|.*\s-c\s+["'](?:[^"']*;\s*)?)?(?:import\s+(?P<import>[A-Za-z_]\w*)|from\s+(?P<from>[A-Za-z_]\w*)[\w.]*\s+import\s)"#,
        )
        .expect("static regex")
    })
}

/// A wheel file name (`numpy-2.3.2-cp312-cp312-manylinux_2_17_x86_64.whl`).
fn wheel_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"(?:^|[\s/\\])(?P<name>[A-Za-z][A-Za-z0-9_]*)-\d[\w.+]*-(?:cp|py)\d+[\w.-]*\.whl",
        )
        .expect("static regex")
    })
}

/// The package of the failure, if the text tells it.
pub fn package_of(
    lines: &[String],
    failure: Option<&Failure>,
    findings: &[Finding],
    tables: &Tables,
) -> Option<String> {
    findings
        .iter()
        .filter(|f| f.kind != CauseKind::ModuleNotFound)
        .filter_map(|f| f.required_by.as_deref())
        .find_map(installed_package)
        .or_else(|| failure.and_then(innermost_installed_frame))
        .or_else(|| failure.and_then(|f| wrapper_package(f, tables)))
        .or_else(|| first_import(lines))
        .or_else(|| wheel_name(lines))
        .or_else(|| {
            findings
                .iter()
                .filter(|f| f.kind == CauseKind::ModuleNotFound)
                .find_map(|f| f.library.as_deref().map(top_level))
        })
}

/// `/…/site-packages/numpy.libs/x.so` → `numpy`; Windows paths too.
pub fn installed_package(path: &str) -> Option<String> {
    let path = path.replace('\\', "/");
    let (_, rest) = ["site-packages/", "dist-packages/"]
        .iter()
        .find_map(|marker| path.rsplit_once(marker))?;
    let top = rest.split('/').next()?;
    // `x.py` or `x.cpython-312-….so` directly in site-packages is the module `x` itself.
    let top = top.strip_suffix(".libs").unwrap_or(top);
    let top = top.split('.').next()?;
    let valid = !top.is_empty()
        && !top.starts_with('_')
        && top.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    (valid && rest.contains('/')).then(|| top.to_string())
}

fn innermost_installed_frame(failure: &Failure) -> Option<String> {
    // The chain is root first, each link's frames outermost first.
    failure
        .chain
        .iter()
        .flat_map(|link| link.frames.iter().rev())
        .find_map(|frame| installed_package(&frame.file))
}

fn wrapper_package(failure: &Failure, tables: &Tables) -> Option<String> {
    failure.misleading.iter().find_map(|m| {
        let wrapper = tables.wrappers.iter().find(|w| w.id == m.id)?;
        // ctypes is the stdlib: its wrapper names no package to reinstall.
        (wrapper.package != "ctypes").then(|| wrapper.package.clone())
    })
}

fn first_import(lines: &[String]) -> Option<String> {
    lines.iter().find_map(|line| {
        let caps = import_regex().captures(truncate_at_char(line, MAX_LINE))?;
        let name = caps.name("import").or_else(|| caps.name("from"))?.as_str();
        Some(name.to_string())
    })
}

fn wheel_name(lines: &[String]) -> Option<String> {
    lines.iter().find_map(|line| {
        let caps = wheel_regex().captures(truncate_at_char(line, MAX_LINE))?;
        Some(caps["name"].to_ascii_lowercase())
    })
}

fn top_level(module: &str) -> String {
    module.split('.').next().unwrap_or(module).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{ChainLink, FindingSource, Frame};

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_string).collect()
    }

    fn tables() -> &'static Tables {
        Tables::builtin().unwrap()
    }

    #[test]
    fn the_file_a_loader_message_names_gives_its_package() {
        let finding = Finding::new(CauseKind::MissingSharedLibrary, FindingSource::Text, "x")
            .required_by("/v/lib/python3.12/site-packages/scipy.libs/libopenblas-a1.so");
        assert_eq!(
            package_of(&[], None, &[finding], tables()).as_deref(),
            Some("scipy")
        );
        assert_eq!(
            installed_package(r"C:\Py\lib\site-packages\torch\lib\c10.dll").as_deref(),
            Some("torch")
        );
        assert_eq!(installed_package("/v/site-packages/six.py"), None);
    }

    #[test]
    fn the_innermost_installed_frame_wins_over_the_import_line() {
        let frame = |file: &str| Frame {
            file: file.into(),
            line: Some(1),
            function: None,
        };
        let failure = Failure {
            chain: vec![ChainLink {
                exc_type: "ImportError".into(),
                message: "x".into(),
                frames: vec![
                    frame("<stdin>"),
                    frame("/v/site-packages/pandas/__init__.py"),
                    frame("/v/site-packages/numpy/__init__.py"),
                ],
            }],
            ..Failure::default()
        };
        let text = lines(">>> import pandas");
        assert_eq!(
            package_of(&text, Some(&failure), &[], tables()).as_deref(),
            Some("numpy")
        );
        assert_eq!(
            package_of(&text, None, &[], tables()).as_deref(),
            Some("pandas")
        );
    }

    #[test]
    fn imports_at_prompts_in_cells_and_after_dash_c_are_read() {
        for (line, want) in [
            ("----> 1 import torch", "torch"),
            ("In [3]: from h5py._hl import files", "h5py"),
            ("$ python3 -c 'import pyproj'", "pyproj"),
            ("    from . import _multiarray_umath", ""),
            ("you should not try to import numpy from", ""),
        ] {
            assert_eq!(
                first_import(&lines(line)).unwrap_or_default(),
                want,
                "{line}"
            );
        }
        assert_eq!(
            wheel_name(&lines(
                "Processing ./dist/Shapely-2.0.1-cp311-cp311-linux_x86_64.whl"
            ))
            .as_deref(),
            Some("shapely")
        );
    }
}
