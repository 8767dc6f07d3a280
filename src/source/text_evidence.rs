//! From cleaned lines and parsed chains to evidence: findings (source = text), the wrapper
//! messages seen through, and the environment the text shows.
//!
//! Owns applying `rules/tables/loader-messages.toml` and `messages.toml`; the interpreter
//! facts read out of paths are `text_paths`'. It does not parse tracebacks (see `traceback`).

use super::messages::{LoaderPattern, Tables, Wrapper};
use super::paste::truncate_at_char;
pub use super::text_paths::{infer_environment, paths_in};
use crate::evidence::{
    self, CauseKind, ChainLink, Failure, Finding, FindingSource, Misleading, Platform,
};

/// How much of one wrapper link's text its regexes look at.
const MAX_WRAPPER_TEXT: usize = 16 * 1024;
/// How much of one line the loader patterns look at.
pub(super) const MAX_PATTERN_LINE: usize = 4096;

/// Facts about the machine that messages prove.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Implied {
    pub nixos: bool,
    pub musl: bool,
    /// A Windows or macOS loader message was seen.
    pub platform: Option<Platform>,
}

impl Implied {
    fn record(&mut self, pattern: &LoaderPattern) {
        for fact in &pattern.implies {
            match fact.as_str() {
                "nixos" => self.nixos = true,
                "musl" => self.musl = true,
                other => self.platform = self.platform.or(Platform::parse(other)),
            }
        }
    }
}

/// Lines at least this long that end without a space were most likely cut by the terminal's
/// width, in the middle of a word: their continuation is glued on without a space.
const TERMINAL_WRAP: usize = 79;

/// Every finding the loader/Python patterns give for `lines`, deduplicated, in order.
///
/// A message wrapped onto the next line (terminal width, e-mail, Markdown) is read whole: each
/// line is also tried joined with the next one, and the join wins when it tells more (a
/// `required by` or a provider the line alone lacks); the continuation is then consumed.
pub fn scan_findings(lines: &[String], tables: &Tables) -> (Vec<Finding>, Implied) {
    let mut findings: Vec<Finding> = Vec::new();
    let mut implied = Implied::default();
    let mut consumed = false;
    for (index, line) in lines.iter().enumerate() {
        if std::mem::take(&mut consumed) {
            continue;
        }
        let line = truncate_at_char(line, MAX_PATTERN_LINE);
        if line.trim().is_empty() {
            continue;
        }
        let alone = match_line(line, tables);
        let joined = lines
            .get(index + 1)
            .and_then(|next| best_join(line, next, tables));
        let found = match (alone, joined) {
            (Some(a), Some(j)) if j.1.told() > a.1.told() => {
                consumed = true;
                Some(j)
            }
            (None, Some(j)) if j.2 => {
                consumed = true;
                Some(j)
            }
            (alone, _) => alone.map(|(p, f)| (p, f, false)),
        };
        let Some((pattern, finding, _)) = found else {
            continue;
        };
        implied.record(pattern);
        evidence::merge_quoted(&mut findings, finding);
    }
    (findings, implied)
}

type Matched<'t> = (&'t LoaderPattern, Finding);

/// The first pattern (file order is priority) that matches the line, and its finding.
fn match_line<'t>(line: &str, tables: &'t Tables) -> Option<Matched<'t>> {
    let index = tables.pattern_set.matches(line).iter().next()?;
    let pattern = &tables.patterns[index];
    finding_from(pattern, line).map(|f| (pattern, f))
}

/// `line` and `next` read as one, glued the way the wrap most likely cut them. The flag says
/// whether the match needs both lines (it is not in `next` alone).
fn best_join<'t>(
    line: &str,
    next: &str,
    tables: &'t Tables,
) -> Option<(&'t LoaderPattern, Finding, bool)> {
    let next = truncate_at_char(next, MAX_PATTERN_LINE);
    if next.trim().is_empty() {
        return None;
    }
    let cut_mid_word = line.chars().count() >= TERMINAL_WRAP && !line.ends_with(' ');
    let glued = format!("{}{}", line.trim_end(), next.trim_start());
    let spaced = format!("{} {}", line.trim_end(), next.trim_start());
    let tries = if cut_mid_word {
        [glued, spaced]
    } else {
        [spaced, glued]
    };
    let (pattern, finding) = tries
        .iter()
        .filter_map(|joined| match_line(joined, tables))
        .max_by_key(|(_, f)| f.told())?;
    let in_next_alone = match_line(next, tables).is_some_and(|(_, f)| f.told() >= finding.told());
    Some((pattern, finding, !in_next_alone))
}

/// How much a finding tells: its library, the file that needs it, the provider.
/// What a detail template says where the text lacks a capture.
fn absent_capture(name: &str) -> &'static str {
    match name {
        "required_by" => "a module",
        "provider" => "the library that was found",
        "program" => "a program",
        _ => "a library",
    }
}

fn finding_from(pattern: &LoaderPattern, line: &str) -> Option<Finding> {
    let caps = pattern.regex.captures(line)?;
    let get = |name: &str| {
        caps.name(name)
            .map(|m| clean_capture(m.as_str()))
            .filter(|v| !v.is_empty())
    };
    let get = |name: &str| {
        get(name).or_else(|| {
            (name == "library")
                .then(|| pattern.library.clone())
                .flatten()
        })
    };
    let library = get("library");
    let required_by = get("required_by").or_else(|| get("program"));
    let provider = get("provider");
    let mut detail = pattern.detail.clone();
    for name in super::messages::CAPTURES {
        let value = get(name).unwrap_or_else(|| absent_capture(name).to_string());
        detail = detail.replace(&format!("{{{name}}}"), &value);
    }
    let mut finding = Finding::new(pattern.kind, FindingSource::Text, detail);
    finding.library = library;
    finding.required_by = required_by;
    finding.provider = provider;
    Some(finding)
}

/// Trailing punctuation a path or name picks up from the sentence around it.
fn clean_capture(s: &str) -> String {
    s.trim_end_matches([',', '.', ';', ')', '\'', '"'])
        .trim_start_matches(['\'', '"', '('])
        .to_string()
}

/// The text a wrapper regex sees for one link: `Type: message`.
fn link_text(link: &ChainLink) -> String {
    let text = if link.exc_type.is_empty() {
        link.message.clone()
    } else {
        format!("{}: {}", link.exc_type, link.message)
    };
    truncate_at_char(&text, MAX_WRAPPER_TEXT).to_string()
}

fn first_line(link: &ChainLink) -> String {
    let line = first_sentence(&link.message);
    match (link.exc_type.is_empty(), line.is_empty()) {
        (true, _) => line,
        (false, true) => link.exc_type.clone(),
        (false, false) => format!("{}: {line}", link.exc_type),
    }
}

/// The message's first sentence: its first non-blank line, joined with the lines that
/// continue it (numpy wraps "…import numpy from\n its source directory; …") up to a sentence
/// end or a blank line, at most three lines.
fn first_sentence(message: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for line in message.lines().map(str::trim).skip_while(|l| l.is_empty()) {
        if line.is_empty() || parts.len() == 3 {
            break;
        }
        parts.push(line);
        if line.ends_with(['.', '!', '?', ':']) {
            break;
        }
    }
    parts.join(" ")
}

/// The wrapper entry that recognises a link, if any.
fn wrapper_of<'t>(link: &ChainLink, tables: &'t Tables) -> Option<&'t Wrapper> {
    // Tried on the message alone too: a wrapper's regex may anchor at a line start.
    let text = link_text(link);
    let message = truncate_at_char(&link.message, MAX_WRAPPER_TEXT);
    tables
        .wrappers
        .iter()
        .find(|w| w.regex.is_match(&text) || w.regex.is_match(message))
}

/// A failure from a chain (root first): the wrappers seen through, and the findings that
/// only the chain's shape can give (a wrapper that is itself the innermost error).
/// One walk over the chain, whose steps share the wrapper state; split, they would pass it
/// back and forth.
pub fn failure_from_chain(chain: Vec<ChainLink>, tables: &Tables) -> (Failure, Vec<Finding>) {
    let mut misleading = Vec::new();
    let mut findings = Vec::new();
    // The innermost link no wrapper recognises is the real cause, when the text has it; a
    // fragment of a message cut off at the top (no type) is not.
    let root = chain
        .iter()
        .find(|l| wrapper_of(l, tables).is_none())
        .filter(|l| !l.exc_type.is_empty());
    for link in &chain {
        let Some(wrapper) = wrapper_of(link, tables) else {
            continue;
        };
        let quoted = quoted_cause(&chain, tables);
        let shown = first_line(link);
        let entry = match (wrapper.hidden.as_ref(), root, quoted) {
            (Some(hidden), _, _) => Misleading {
                id: wrapper.id.clone(),
                shown,
                hidden_cause: hidden.clone(),
                root_missing: false,
            },
            (None, Some(root), _) => Misleading {
                id: wrapper.id.clone(),
                shown,
                hidden_cause: first_line(root),
                root_missing: false,
            },
            (None, None, Some(quoted)) => Misleading {
                id: wrapper.id.clone(),
                shown,
                hidden_cause: quoted,
                root_missing: false,
            },
            (None, None, None) => {
                // pandas < 2 quotes numpy's own wrapper: that one's genuine cause applies.
                let genuine = std::iter::once(wrapper)
                    .chain(quoted_wrapper(link, wrapper, tables))
                    .find(|w| w.genuine_kind.is_some());
                if let Some(genuine) = genuine
                    && let Some(kind) = genuine.genuine_kind
                    && std::ptr::eq(link, &chain[0])
                {
                    let detail = format!(
                        "{} (only this message is in the text: {})",
                        genuine.explanation,
                        first_line(link)
                    );
                    let mut finding = Finding::new(kind, FindingSource::Text, detail);
                    finding.library = genuine_library(kind, &genuine.package);
                    findings.push(finding);
                }
                Misleading {
                    id: wrapper.id.clone(),
                    shown,
                    hidden_cause: wrapper.root_missing.clone().unwrap_or_default(),
                    root_missing: true,
                }
            }
        };
        if !misleading.iter().any(|m: &Misleading| m.id == entry.id) {
            misleading.push(entry);
        }
    }
    let failure = Failure {
        chain,
        misleading,
        original_text: None,
    };
    (failure, findings)
}

/// The wrapper whose message `wrapper` quotes as its cause (pandas quoting numpy's).
fn quoted_wrapper<'t>(
    link: &ChainLink,
    wrapper: &Wrapper,
    tables: &'t Tables,
) -> Option<&'t Wrapper> {
    let text = link_text(link);
    let caps = wrapper.original.as_ref()?.captures(&text)?;
    // The quoted message goes on past its first line.
    let cause = &text[caps.name("cause")?.start()..];
    tables.wrappers.iter().find(|w| w.regex.is_match(cause))
}

/// The module a genuine source-tree message is about.
fn genuine_library(kind: CauseKind, package: &str) -> Option<String> {
    (kind == CauseKind::SourceTreeShadowing).then(|| package.to_string())
}

/// The real error a wrapper quotes (`Original error was: …`), innermost first.
fn quoted_cause(chain: &[ChainLink], tables: &Tables) -> Option<String> {
    chain.iter().find_map(|link| {
        let text = link_text(link);
        tables.wrappers.iter().find_map(|w| {
            let caps = w.original.as_ref()?.captures(&text)?;
            let found = caps.name("cause")?;
            let cause = found.as_str().trim();
            // A quoted cause that is itself only a wrapper hides as much as the wrapper (its
            // message may go on past the quoted line).
            let rest = &text[found.start()..];
            let is_wrapper = tables.wrappers.iter().any(|o| o.regex.is_match(rest));
            (!cause.is_empty() && !is_wrapper).then(|| cause.to_string())
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_string).collect()
    }

    #[test]
    fn version_not_found_names_the_provider_first() {
        let tables = Tables::builtin().unwrap();
        let (found, _) = scan_findings(
            &lines(
                "ImportError: /usr/lib/libstdc++.so.6: version `GLIBCXX_3.4.30' not found (required by /v/x.so)",
            ),
            tables,
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, CauseKind::LibstdcxxVersionTooOld);
        assert_eq!(found[0].library.as_deref(), Some("GLIBCXX_3.4.30"));
        assert_eq!(
            found[0].provider.as_deref(),
            Some("/usr/lib/libstdc++.so.6")
        );
        assert_eq!(found[0].required_by.as_deref(), Some("/v/x.so"));
    }

    #[test]
    fn a_required_by_wrapped_onto_the_next_line_is_read_with_its_message() {
        let tables = Tables::builtin().unwrap();
        let (found, _) = scan_findings(
            &lines(
                "ImportError: /usr/lib/x86_64-linux-gnu/libstdc++.so.6: version 'GLIBCXX_3.4.33' not found (required by\n    /v/lib/python3.12/site-packages/scipy/_x.cpython-312-x86_64-linux-gnu.so)",
            ),
            tables,
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].library.as_deref(), Some("GLIBCXX_3.4.33"));
        assert!(
            found[0]
                .required_by
                .as_deref()
                .unwrap()
                .ends_with("_x.cpython-312-x86_64-linux-gnu.so")
        );
        let (found, _) = scan_findings(
            &lines(
                "ImportError: /usr/lib/x86_64-linux-gnu/libstdc++.so.6: version 'GLIBCXX_3.4.33' not found",
            ),
            tables,
        );
        assert_eq!(found[0].kind, CauseKind::LibstdcxxVersionTooOld);
        assert_eq!(found[0].required_by, None);
        assert!(found[0].detail.starts_with("a module needs GLIBCXX_3.4.33"));
    }

    #[test]
    fn a_line_cut_by_the_terminal_mid_word_is_glued_back() {
        let tables = Tables::builtin().unwrap();
        let (found, _) = scan_findings(
            &lines(
                "ImportError: /nix/store/gk42f59363p82rg2wv2mfy71jn5w4q4c-glibc-2.32-48/lib/libc.so.6: version `GLIBC_2.33' not foun\nd (required by /nix/store/x-gcc-10.3.0-lib/lib/libstdc++.so.6)",
            ),
            tables,
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].library.as_deref(), Some("GLIBC_2.33"));
        assert_eq!(
            found[0].required_by.as_deref(),
            Some("/nix/store/x-gcc-10.3.0-lib/lib/libstdc++.so.6")
        );
    }

    #[test]
    fn a_cpython_symbol_is_a_python_abi_mismatch() {
        let tables = Tables::builtin().unwrap();
        let (found, _) = scan_findings(
            &lines("ImportError: /v/m.so: undefined symbol: _PyUnicode_Ready"),
            tables,
        );
        assert_eq!(found[0].kind, CauseKind::PythonAbiMismatch);
        assert_eq!(found[0].required_by.as_deref(), Some("/v/m.so"));
    }

    #[test]
    fn the_same_error_quoted_twice_is_one_finding() {
        let tables = Tables::builtin().unwrap();
        let (found, _) = scan_findings(
            &lines(
                "ImportError: libz.so.1: cannot open shared object file: No such file or directory\nOriginal error was: libz.so.1: cannot open shared object file: No such file or directory",
            ),
            tables,
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].library.as_deref(), Some("libz.so.1"));
    }

    #[test]
    fn a_message_that_names_no_library_gives_the_one_it_is_about() {
        let tables = Tables::builtin().unwrap();
        let (found, _) = scan_findings(
            &lines(
                "RuntimeError: Found no NVIDIA driver on your system. Please check that you have an NVIDIA GPU and installed a driver from http://www.nvidia.com/Download/index.aspx",
            ),
            tables,
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, CauseKind::MissingSharedLibrary);
        assert_eq!(found[0].library.as_deref(), Some("libcuda.so.1"));
        assert!(
            found[0].detail.contains("libcuda.so.1"),
            "{}",
            found[0].detail
        );
    }
}
