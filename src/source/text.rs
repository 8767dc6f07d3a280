//! Pasted text (or a failed import's own output) to evidence, in one call.
//!
//! Owns joining the text steps: clean, find every traceback, parse each chain, see through
//! wrappers, scan for loader messages, infer the environment. Used by `explain`, `check -`,
//! and by `check` on the output of the import it ran.

use std::path::Path;

use super::clues;
use super::messages::Tables;
use super::paste;
use super::text_env;
use super::text_evidence;
use super::text_package;
use super::traceback;
use crate::error::Result;
use crate::evidence::{ChainLink, Environment, Failure, Finding};

/// How much of a failure's own text is kept in `Failure::original_text`.
const MAX_ORIGINAL_TEXT: usize = 8 * 1024;

/// What a text shows.
#[derive(Debug, Clone, Default)]
pub struct TextEvidence {
    /// One per exception chain found, in the order they appear.
    pub failures: Vec<Failure>,
    /// Every text finding, deduplicated, in order of appearance.
    pub findings: Vec<Finding>,
    /// Marked `EnvSource::InferredFromText`.
    pub environment: Environment,
    /// The Python package the failure is in, when the text tells it (see `text_package`).
    pub package: Option<String>,
}

impl TextEvidence {
    /// The failure a report should lead with: the last one with a finding-bearing root, else
    /// the last one (the error at the end of a log is the one that stopped it).
    pub fn main_failure(&self) -> Option<&Failure> {
        self.failures
            .iter()
            .rev()
            .find(|f| !f.misleading.is_empty() || root_has_finding(f, &self.findings))
            .or_else(|| self.failures.last())
    }

    /// True when nothing in the text was recognised.
    pub fn is_empty(&self) -> bool {
        self.failures.is_empty() && self.findings.is_empty()
    }
}

fn root_has_finding(failure: &Failure, findings: &[Finding]) -> bool {
    let Some(root) = failure.root() else {
        return false;
    };
    findings.iter().any(|f| {
        f.library
            .as_deref()
            .is_some_and(|lib| root.message.contains(lib))
    })
}

/// Analyse pasted text with the built-in tables. `store_dir` is the Nix store's directory,
/// for telling Nix paths.
pub fn analyse(text: &str, store_dir: &Path) -> Result<TextEvidence> {
    let tables = Tables::builtin()?;
    Ok(analyse_with(text, tables, &store_dir.display().to_string()))
}

/// Analyse pasted text with these tables (the built-in ones and those of `--rules` dirs);
/// `store_dir` tells Nix paths.
pub fn analyse_with(text: &str, tables: &Tables, store_dir: &str) -> TextEvidence {
    let lines = paste::clean(text, &tables.paste);
    let chains = traceback::parse(&lines, &tables.paste);
    let (mut findings, implied) = text_evidence::scan_findings(&lines, tables);
    let mut failures = Vec::with_capacity(chains.len());
    for chain in chains {
        let (start, end) = chain.lines;
        let (mut failure, extra) = text_evidence::failure_from_chain(chain.links, tables);
        failure.original_text = Some(original_text(&lines[start..end.min(lines.len())]));
        for finding in extra {
            crate::evidence::merge_quoted(&mut findings, finding);
        }
        failures.push(failure);
    }
    let paths = text_evidence::paths_in(&lines);
    let mut environment = text_evidence::infer_environment(&paths, &implied, store_dir);
    text_env::add_hints(&lines, &paths, &mut environment, store_dir);
    let mut evidence = TextEvidence {
        failures,
        findings,
        environment,
        package: None,
    };
    let main = evidence.main_failure().cloned();
    clues::weigh(&lines, main.as_ref(), &mut evidence.findings, tables);
    evidence.package =
        text_package::package_of(&lines, evidence.main_failure(), &evidence.findings, tables);
    evidence
}

/// Evidence from a chain already in hand (the probe's structured record of an import):
/// the wrappers seen through and the findings in its messages. Root first.
/// With the built-in tables; see [`analyse_chain_with`].
pub fn analyse_chain(chain: Vec<ChainLink>) -> Result<(Failure, Vec<Finding>)> {
    Ok(analyse_chain_with(chain, Tables::builtin()?))
}

/// [`analyse_chain`] with these tables (a database's, extended by `--rules`).
pub fn analyse_chain_with(chain: Vec<ChainLink>, tables: &Tables) -> (Failure, Vec<Finding>) {
    let lines: Vec<String> = chain
        .iter()
        .flat_map(|link| {
            let head = format!("{}: ", link.exc_type);
            link.message
                .lines()
                .enumerate()
                .map(move |(i, l)| {
                    if i == 0 {
                        format!("{head}{l}")
                    } else {
                        l.to_string()
                    }
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let (mut findings, _) = text_evidence::scan_findings(&lines, tables);
    let (failure, extra) = text_evidence::failure_from_chain(chain, tables);
    for finding in extra {
        crate::evidence::merge_quoted(&mut findings, finding);
    }
    (failure, findings)
}

/// The cleaned lines of one failure, bounded (the tail: the last link matters most).
fn original_text(lines: &[String]) -> String {
    let text = lines.join("\n");
    let text = text.trim_end();
    if text.len() <= MAX_ORIGINAL_TEXT {
        return text.to_string();
    }
    let mut start = text.len() - MAX_ORIGINAL_TEXT;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    text[start..].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_probe_chain_gets_the_same_findings_and_wrappers_as_a_paste() {
        let chain = vec![
            ChainLink {
                exc_type: "ImportError".into(),
                message: "libstdc++.so.6: cannot open shared object file: No such file or directory".into(),
                frames: Vec::new(),
            },
            ChainLink {
                exc_type: "ImportError".into(),
                message: "Error importing numpy: you should not try to import numpy from\n        its source directory; please exit the numpy source tree, and relaunch".into(),
                frames: Vec::new(),
            },
        ];
        let (failure, findings) = analyse_chain(chain).unwrap();
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].library.as_deref(), Some("libstdc++.so.6"));
        assert_eq!(failure.misleading[0].id, "numpy-source-directory");
        assert!(!failure.misleading[0].root_missing);
    }

    #[test]
    fn a_source_tree_message_alone_puts_a_hidden_library_failure_before_the_source_tree() {
        use crate::evidence::CauseKind;
        let text = "ImportError: Error importing numpy: you should not try to import numpy from\n        its source directory; please exit the numpy source tree, and relaunch\n";
        let evidence = analyse(text, Path::new("/nix/store")).unwrap();
        let kinds: Vec<CauseKind> = evidence.findings.iter().map(|f| f.kind).collect();
        assert_eq!(
            kinds,
            [
                CauseKind::MissingSharedLibrary,
                CauseKind::SourceTreeShadowing
            ]
        );
        assert!(evidence.failures[0].misleading[0].root_missing);
        assert_eq!(evidence.package.as_deref(), Some("numpy"));
    }

    #[test]
    fn frames_in_a_checkout_make_the_source_tree_the_cause() {
        use crate::evidence::CauseKind;
        let text = "Traceback (most recent call last):\n  File \"/home/u/src/scipy/scipy/__init__.py\", line 121, in <module>\n    from scipy.__config__ import show\nModuleNotFoundError: No module named 'scipy.__config__'\n";
        let evidence = analyse(text, Path::new("/nix/store")).unwrap();
        assert_eq!(evidence.findings[0].kind, CauseKind::SourceTreeShadowing);
        assert_eq!(evidence.findings[0].library.as_deref(), Some("scipy"));
    }
}
