//! Clues in a paste that weigh between causes its messages alone cannot settle.
//!
//! Owns three judgements, each adding or reordering text findings (the rules rank diagnoses
//! in findings order):
//! - the frames show the package imported from a source checkout (`~/src/scipy/scipy/
//!   __init__.py`, no `site-packages`): the source tree is the cause, first;
//! - a "source directory" wrapper alone, with no error under it and no checkout in the frames:
//!   most often a library failure the message hid, so that comes first and the source tree
//!   second (`pydoctor check` tells them apart);
//! - an extension file tagged for one Python (`cpython-310`) where the text shows another
//!   interpreter (`/lib/python3.12/`, `Python 3.12.1`, numpy's "The Python version is"): a
//!   Python ABI mismatch, before the `No module named` it causes.
//!
//! It does not parse tracebacks or messages (see `traceback`, `text_evidence`).

use std::sync::OnceLock;

use regex::Regex;

use super::messages::Tables;
use super::paste::truncate_at_char;
use crate::catalog::causes::CauseTables;
use crate::evidence::{CauseKind, Failure, Finding, FindingSource};

/// How much of one line the version patterns look at.
const MAX_LINE: usize = 2048;

/// `cpython-310`, `cpython-36m` in an extension file name: the Python it was built for.
fn tag_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?P<file>[\w.-]+\.cpython-3(?P<minor>\d{1,2})[a-z]*-[\w-]+\.so)")
            .expect("static regex")
    })
}

/// The interpreter's own version as a paste shows it (minor version captured).
fn interpreter_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"/lib/python3\.(?P<a>\d{1,2})t?/|^Python 3\.(?P<b>\d{1,2})\.\d+\S* \(|The Python version is: Python ?3\.(?P<c>\d{1,2})",
        )
        .expect("static regex")
    })
}

/// Apply the clues to the findings of `failure`'s text.
pub fn weigh(
    lines: &[String],
    failure: Option<&Failure>,
    findings: &mut Vec<Finding>,
    tables: &Tables,
) {
    if let Some(failure) = failure {
        match source_checkout(lines, failure, tables) {
            Some((package, dir)) => put_source_tree_first(findings, &package, &dir),
            None => doubt_lone_source_message(failure, findings, tables),
        }
    }
    python_tag_mismatch(lines, findings);
}

/// The packages whose "source directory" messages the tables know (numpy, scipy, pandas):
/// only for those is a checkout on the path a known cause; a user's own project is not.
fn source_tree_packages(tables: &Tables) -> Vec<&str> {
    tables
        .wrappers
        .iter()
        .filter(|w| w.genuine_kind == Some(CauseKind::SourceTreeShadowing))
        .map(|w| w.package.as_str())
        .collect()
}

/// `(package, checkout dir)` when the text shows such a package's files outside any
/// installed location (a frame, a conftest, an unbuilt `.so`), in a failed import.
fn source_checkout(
    lines: &[String],
    failure: &Failure,
    tables: &Tables,
) -> Option<(String, String)> {
    let root = failure.root()?;
    if !root.exc_type.ends_with("ImportError") && !root.exc_type.ends_with("ModuleNotFoundError") {
        return None;
    }
    let packages = source_tree_packages(tables);
    let frames = failure.chain.iter().flat_map(|link| &link.frames);
    let frame_files = frames.map(|f| f.file.clone());
    let tokens = lines.iter().flat_map(|line| {
        truncate_at_char(line, MAX_LINE)
            .split(|c: char| c.is_whitespace() || "[]()\"'`".contains(c))
            .map(str::to_string)
            .collect::<Vec<_>>()
    });
    frame_files
        .chain(tokens)
        .find_map(|file| checkout_of(&file, &packages))
}

/// `/home/u/src/scipy/scipy/__init__.py` → (`scipy`, `/home/u/src/scipy`): a file of one of
/// `packages` outside every install location.
fn checkout_of(file: &str, packages: &[&str]) -> Option<(String, String)> {
    let file = file.replace('\\', "/");
    // IPython writes `path.py:48`.
    let file = match file.split_once(".py:") {
        Some((stem, _)) => format!("{stem}.py"),
        None => file,
    };
    let tree = &CauseTables::builtin().source_tree;
    let source_like = tree
        .source_extensions
        .iter()
        .any(|e| file.ends_with(e.as_str()));
    let installed = tree
        .installed_markers
        .iter()
        .any(|m| file.contains(m.as_str()));
    if !source_like || installed || file.starts_with('<') {
        return None;
    }
    let rooted = format!("/{}", file.trim_start_matches('/'));
    packages.iter().find_map(|package| {
        let at = rooted.rfind(&format!("/{package}/"))?;
        let dir = &file[..at.saturating_sub(usize::from(!file.starts_with('/')))];
        let dir = if dir.is_empty() { "." } else { dir };
        Some((package.to_string(), dir.to_string()))
    })
}

fn put_source_tree_first(findings: &mut Vec<Finding>, package: &str, dir: &str) {
    findings.retain(|f| f.kind != CauseKind::SourceTreeShadowing);
    let detail = format!(
        "the traceback runs {package} from {dir}, a source checkout, not from an installed \
         site-packages: Python finds the checkout first, and its extension modules are not built"
    );
    let finding =
        Finding::new(CauseKind::SourceTreeShadowing, FindingSource::Text, detail).library(package);
    findings.insert(0, finding);
}

/// A source-directory wrapper with nothing under it: put the likelier hidden library failure
/// before the source tree, which stays as the second cause.
fn doubt_lone_source_message(failure: &Failure, findings: &mut Vec<Finding>, tables: &Tables) {
    let Some(at) = findings
        .iter()
        .position(|f| f.kind == CauseKind::SourceTreeShadowing)
    else {
        return;
    };
    let lone = failure.misleading.iter().any(|m| {
        m.root_missing
            && tables
                .wrappers
                .iter()
                .any(|w| w.id == m.id && w.genuine_kind == Some(CauseKind::SourceTreeShadowing))
    });
    // Another finding in the text (a library named elsewhere in the log) already says more.
    let others = findings
        .iter()
        .any(|f| f.kind != CauseKind::SourceTreeShadowing);
    if !lone || others {
        return;
    }
    let package = findings[at].library.clone().unwrap_or_default();
    let detail = format!(
        "{package}'s message hides the error underneath; far more often than a source tree, it \
         is an extension module that could not load, most often for a missing library"
    );
    findings.insert(
        at,
        Finding::new(CauseKind::MissingSharedLibrary, FindingSource::Text, detail),
    );
}

/// An extension built for another Python than the one the text shows.
fn python_tag_mismatch(lines: &[String], findings: &mut Vec<Finding>) {
    let mut interpreter: Option<String> = None;
    let mut tagged: Option<(String, String)> = None;
    for line in lines {
        let line = truncate_at_char(line, MAX_LINE);
        if interpreter.is_none()
            && let Some(caps) = interpreter_regex().captures(line)
        {
            interpreter = ["a", "b", "c"]
                .iter()
                .find_map(|n| caps.name(n))
                .map(|m| m.as_str().to_string());
        }
        if tagged.is_none()
            && let Some(caps) = tag_regex().captures(line)
        {
            tagged = Some((caps["file"].to_string(), caps["minor"].to_string()));
        }
    }
    let (Some(minor), Some((file, built))) = (interpreter, tagged) else {
        return;
    };
    let import_failed = findings.iter().all(|f| f.kind == CauseKind::ModuleNotFound);
    if built == minor || !import_failed {
        return;
    }
    let detail = format!(
        "{file} is built for Python 3.{built}, and the text shows Python 3.{minor} importing it: \
         Python looks only for extension files tagged with its own version"
    );
    let finding =
        Finding::new(CauseKind::PythonAbiMismatch, FindingSource::Text, detail).required_by(file);
    findings.insert(0, finding);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_package_run_from_its_checkout_is_told_from_an_installed_one() {
        let known = ["numpy", "scipy", "pandas"];
        assert_eq!(
            checkout_of("/Users/s/Projects/scipy/scipy/__init__.py", &known),
            Some(("scipy".into(), "/Users/s/Projects/scipy".into()))
        );
        assert_eq!(
            checkout_of("scipy/**init**.py", &known),
            Some(("scipy".into(), ".".into()))
        );
        assert_eq!(
            checkout_of("~/github/scipy/scipy/__init__.py:48", &known),
            Some(("scipy".into(), "~/github/scipy".into()))
        );
        assert_eq!(
            checkout_of("/v/lib/python3.12/site-packages/numpy/__init__.py", &known),
            None
        );
        assert_eq!(checkout_of("/home/u/model/__init__.py", &known), None);
        assert_eq!(checkout_of("<stdin>", &known), None);
    }

    #[test]
    fn an_extension_tagged_for_another_python_is_an_abi_mismatch() {
        let lines: Vec<String> = [
            "  File \"/v/lib/python3.12/site-packages/lxml/html/__init__.py\", line 3",
            "ModuleNotFoundError: No module named 'lxml.etree'",
            "$ ls /v/lib/python3.12/site-packages/lxml/etree.cpython-310-x86_64-linux-gnu.so",
        ]
        .map(String::from)
        .to_vec();
        let mut findings = vec![
            Finding::new(CauseKind::ModuleNotFound, FindingSource::Text, "x").library("lxml.etree"),
        ];
        python_tag_mismatch(&lines, &mut findings);
        assert_eq!(findings[0].kind, CauseKind::PythonAbiMismatch);
        assert_eq!(findings.len(), 2);
    }
}
