//! The text tables of `rules/tables/`: wrapper messages (`messages.toml`), loader and Python
//! messages that are evidence (`loader-messages.toml`) and paste cleaning (`paste.toml`).
//!
//! Owns reading them strictly, compiling and checking their regexes, and checking each
//! entry against its own examples. It does not apply them (see `paste`, `traceback`,
//! `text_evidence`). The built-in tables are compiled once per process.

use std::sync::OnceLock;

use regex::{Regex, RegexSet};
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::evidence::CauseKind;
use crate::rules::files::{self, RuleFile};

const MESSAGES_FILE: &str = "rules/tables/messages.toml";
const LOADER_FILE: &str = "rules/tables/loader-messages.toml";
const PASTE_FILE: &str = "rules/tables/paste.toml";

/// Capture names a loader pattern may use.
pub const CAPTURES: [&str; 4] = ["library", "required_by", "provider", "program"];

/// Facts about the machine that a message proves.
pub const IMPLIES: [&str; 4] = ["nixos", "musl", "windows", "macos"];

// ---- file shapes ------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MessagesFile {
    message: Vec<MessageEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MessageEntry {
    id: String,
    package: String,
    regex: String,
    #[serde(default)]
    original: Option<String>,
    #[serde(default)]
    genuine_kind: Option<String>,
    #[serde(default)]
    root_missing: Option<String>,
    #[serde(default)]
    hidden: Option<String>,
    explanation: String,
    #[serde(default)]
    examples: Vec<String>,
    #[serde(default)]
    counter_examples: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LoaderFile {
    pattern: Vec<PatternEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PatternEntry {
    id: String,
    kind: String,
    regex: String,
    detail: String,
    #[serde(default)]
    implies: Vec<String>,
    #[serde(default)]
    examples: Vec<String>,
    #[serde(default)]
    counter_examples: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PasteFile {
    #[serde(default)]
    prefix: Vec<PasteEntry>,
    #[serde(default)]
    end: Vec<PasteEntry>,
    #[serde(default)]
    suffix: Vec<PasteEntry>,
    #[serde(default)]
    frame: Vec<PasteEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PasteEntry {
    id: String,
    #[allow(dead_code)] // documentation for people reading the table
    description: String,
    regex: String,
    #[serde(default)]
    examples: Vec<String>,
    #[serde(default)]
    counter_examples: Vec<String>,
}

// ---- compiled shapes --------------------------------------------------------------------

/// A wrapper message that hides the real cause.
#[derive(Debug, Clone)]
pub struct Wrapper {
    pub id: String,
    pub package: String,
    pub regex: Regex,
    /// Its `cause` capture is the real error the wrapper quotes.
    pub original: Option<Regex>,
    /// The cause kind when this message is the innermost error seen.
    pub genuine_kind: Option<CauseKind>,
    /// What to say when the real cause is not in the text (`{package}` filled in).
    pub root_missing: Option<String>,
    /// For a message that is the real error but hides who asked for it.
    pub hidden: Option<String>,
    pub explanation: String,
}

/// A loader or Python message that is evidence of a cause.
#[derive(Debug, Clone)]
pub struct LoaderPattern {
    pub id: String,
    pub kind: CauseKind,
    pub regex: Regex,
    pub detail: String,
    pub implies: Vec<String>,
}

/// How pasted logs are cleaned.
#[derive(Debug, Clone)]
pub struct PasteRules {
    /// Anchored prefixes removed from the start of lines.
    pub prefixes: Vec<Regex>,
    /// Lines that end an exception message.
    pub ends: RegexSet,
    /// Anchored suffixes removed from the end of lines (a box's right border).
    pub suffixes: Vec<Regex>,
    /// Traceback frame lines of other tools than CPython (IPython, pytest, rich), each with
    /// a `file` capture and optional `line` and `func`.
    pub frames: Vec<Regex>,
}

/// Every text table, compiled.
#[derive(Debug, Clone)]
pub struct Tables {
    pub wrappers: Vec<Wrapper>,
    pub patterns: Vec<LoaderPattern>,
    /// All `patterns` regexes in one set, to skip most lines in one pass.
    pub pattern_set: RegexSet,
    pub paste: PasteRules,
}

impl Tables {
    /// The built-in tables, compiled once.
    pub fn builtin() -> Result<&'static Tables> {
        static TABLES: OnceLock<std::result::Result<Tables, String>> = OnceLock::new();
        TABLES
            .get_or_init(|| {
                let all = files::builtin_under("tables");
                let find = |name: &str| {
                    all.iter()
                        .find(|f| f.name == name)
                        .cloned()
                        .ok_or_else(|| format!("{name}: built-in table missing"))
                };
                let (m, l, p) = (find(MESSAGES_FILE)?, find(LOADER_FILE)?, find(PASTE_FILE)?);
                Tables::from_files(&m, &l, &p).map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| Error::Rules(e.clone()))
    }

    /// Compile the three tables from their files; errors name file, line and field.
    pub fn from_files(messages: &RuleFile, loader: &RuleFile, paste: &RuleFile) -> Result<Tables> {
        let wrappers = compile_wrappers(messages)?;
        let patterns = compile_patterns(loader)?;
        let pattern_set = RegexSet::new(patterns.iter().map(|p| p.regex.as_str()))
            .map_err(|e| Error::Rules(format!("{}: {e}", loader.name)))?;
        Ok(Tables {
            wrappers,
            patterns,
            pattern_set,
            paste: compile_paste(paste)?,
        })
    }
}

fn compile_regex(file: &RuleFile, id: &str, field: &str, source: &str) -> Result<Regex> {
    if has_unicode_word_boundary(source) {
        // Pastes hold binary garbage and non-ASCII text; on those a Unicode `\b` sends the
        // regex engine to its slow NFA (7.5 s for 10 MB of noise against 0.45 s).
        return Err(files::field_error(
            file,
            source,
            field,
            &format!("in `{id}`: use the ASCII word boundary `(?-u:\\b)`, not `\\b`"),
        ));
    }
    Regex::new(source).map_err(|e| {
        let first = e.to_string().lines().last().unwrap_or_default().to_string();
        files::field_error(
            file,
            source,
            field,
            &format!("in `{id}`: bad regex: {first}"),
        )
    })
}

/// A `\b` or `\B` outside `(?-u:…)`: a Unicode word boundary.
fn has_unicode_word_boundary(source: &str) -> bool {
    let ascii_only = source.replace("(?-u:\\b)", "").replace("(?-u:\\B)", "");
    let bytes = ascii_only.as_bytes();
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] == b'\\' {
            if matches!(bytes[i + 1], b'b' | b'B') {
                return true;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

fn check_examples(
    file: &RuleFile,
    id: &str,
    regex: &Regex,
    examples: &[String],
    counter_examples: &[String],
) -> Result<()> {
    if let Some(bad) = examples.iter().find(|e| !regex.is_match(e)) {
        return Err(files::field_error(
            file,
            id,
            "examples",
            &format!("in `{id}`: the regex does not match its example {bad:?}"),
        ));
    }
    if let Some(bad) = counter_examples.iter().find(|e| regex.is_match(e)) {
        return Err(files::field_error(
            file,
            id,
            "counter_examples",
            &format!("in `{id}`: the regex matches its counter-example {bad:?}"),
        ));
    }
    Ok(())
}

fn parse_kind(file: &RuleFile, id: &str, field: &str, kind: &str) -> Result<CauseKind> {
    CauseKind::parse(kind).ok_or_else(|| {
        files::field_error(
            file,
            id,
            field,
            &format!("in `{id}`: unknown cause kind {kind:?}"),
        )
    })
}

fn compile_wrappers(file: &RuleFile) -> Result<Vec<Wrapper>> {
    let parsed: MessagesFile = files::parse(file)?;
    let mut out: Vec<Wrapper> = Vec::new();
    for entry in parsed.message {
        if out.iter().any(|w| w.id == entry.id) {
            return Err(files::field_error(file, &entry.id, "id", "duplicate id"));
        }
        let regex = compile_regex(file, &entry.id, "regex", &entry.regex)?;
        let original = match &entry.original {
            Some(source) => {
                let re = compile_regex(file, &entry.id, "original", source)?;
                if !re.capture_names().flatten().any(|n| n == "cause") {
                    return Err(files::field_error(
                        file,
                        source,
                        "original",
                        "needs a `cause` capture group",
                    ));
                }
                Some(re)
            }
            None => None,
        };
        if entry.root_missing.is_none() && entry.hidden.is_none() {
            return Err(files::field_error(
                file,
                &entry.id,
                "root_missing",
                &format!(
                    "in `{}`: one of `root_missing` or `hidden` is needed",
                    entry.id
                ),
            ));
        }
        check_examples(
            file,
            &entry.id,
            &regex,
            &entry.examples,
            &entry.counter_examples,
        )?;
        let genuine_kind = match &entry.genuine_kind {
            Some(k) => Some(parse_kind(file, &entry.id, "genuine_kind", k)?),
            None => None,
        };
        let fill = |t: &String| t.replace("{package}", &entry.package);
        out.push(Wrapper {
            root_missing: entry.root_missing.as_ref().map(fill),
            hidden: entry.hidden.as_ref().map(fill),
            id: entry.id,
            package: entry.package,
            regex,
            original,
            genuine_kind,
            explanation: entry.explanation,
        });
    }
    Ok(out)
}

fn compile_patterns(file: &RuleFile) -> Result<Vec<LoaderPattern>> {
    let parsed: LoaderFile = files::parse(file)?;
    let mut out: Vec<LoaderPattern> = Vec::new();
    for entry in parsed.pattern {
        if out.iter().any(|p| p.id == entry.id) {
            return Err(files::field_error(file, &entry.id, "id", "duplicate id"));
        }
        let regex = compile_regex(file, &entry.id, "regex", &entry.regex)?;
        let names: Vec<&str> = regex.capture_names().flatten().collect();
        if let Some(bad) = names.iter().find(|n| !CAPTURES.contains(n)) {
            return Err(files::field_error(
                file,
                &entry.regex,
                "regex",
                &format!(
                    "in `{}`: unknown capture name `{bad}` (known: {})",
                    entry.id,
                    CAPTURES.join(", ")
                ),
            ));
        }
        for placeholder in placeholders(&entry.detail) {
            if !names.contains(&placeholder) {
                return Err(files::field_error(
                    file,
                    &entry.detail,
                    "detail",
                    &format!(
                        "in `{}`: placeholder {{{placeholder}}} is not a capture of the regex",
                        entry.id
                    ),
                ));
            }
        }
        if let Some(bad) = entry
            .implies
            .iter()
            .find(|i| !IMPLIES.contains(&i.as_str()))
        {
            return Err(files::field_error(
                file,
                &entry.id,
                "implies",
                &format!("in `{}`: unknown fact {bad:?}", entry.id),
            ));
        }
        check_examples(
            file,
            &entry.id,
            &regex,
            &entry.examples,
            &entry.counter_examples,
        )?;
        out.push(LoaderPattern {
            kind: parse_kind(file, &entry.id, "kind", &entry.kind)?,
            id: entry.id,
            regex,
            detail: entry.detail,
            implies: entry.implies,
        });
    }
    Ok(out)
}

fn compile_paste(file: &RuleFile) -> Result<PasteRules> {
    let parsed: PasteFile = files::parse(file)?;
    let mut prefixes = Vec::new();
    for entry in &parsed.prefix {
        if !entry.regex.starts_with('^') {
            return Err(files::field_error(
                file,
                &entry.regex,
                "regex",
                &format!("in `{}`: a prefix must be anchored with `^`", entry.id),
            ));
        }
        prefixes.push(compile_entry(file, entry)?);
    }
    let mut ends = Vec::new();
    for entry in &parsed.end {
        compile_entry(file, entry)?;
        ends.push(entry.regex.clone());
    }
    let ends = RegexSet::new(&ends).map_err(|e| Error::Rules(format!("{}: {e}", file.name)))?;
    let mut suffixes = Vec::new();
    for entry in &parsed.suffix {
        if !entry.regex.ends_with('$') {
            return Err(files::field_error(
                file,
                &entry.regex,
                "regex",
                &format!("in `{}`: a suffix must be anchored with `$`", entry.id),
            ));
        }
        suffixes.push(compile_entry(file, entry)?);
    }
    let mut frames = Vec::new();
    for entry in &parsed.frame {
        let regex = compile_entry(file, entry)?;
        if !regex.capture_names().flatten().any(|n| n == "file") {
            return Err(files::field_error(
                file,
                &entry.regex,
                "regex",
                &format!("in `{}`: a frame needs a `file` capture", entry.id),
            ));
        }
        frames.push(regex);
    }
    Ok(PasteRules {
        prefixes,
        ends,
        suffixes,
        frames,
    })
}

/// One paste entry's regex, compiled and checked against its examples.
fn compile_entry(file: &RuleFile, entry: &PasteEntry) -> Result<Regex> {
    let regex = compile_regex(file, &entry.id, "regex", &entry.regex)?;
    check_examples(
        file,
        &entry.id,
        &regex,
        &entry.examples,
        &entry.counter_examples,
    )?;
    Ok(regex)
}

/// `{name}` placeholders of a template.
pub fn placeholders(template: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                out.push(&after[..close]);
                rest = &after[close + 1..];
            }
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {

    #[test]
    fn unicode_word_boundaries_are_refused_ascii_ones_allowed() {
        assert!(has_unicode_word_boundary(r"\bSIGILL"));
        assert!(has_unicode_word_boundary(r"a\Bb"));
        assert!(!has_unicode_word_boundary(r"(?-u:\b)SIGILL(?-u:\b)"));
        assert!(!has_unicode_word_boundary(r"\\b literal backslash then b"));
        assert!(!has_unicode_word_boundary(r"\d+\.so"));
    }

    use super::*;

    fn file(name: &str, text: &str) -> RuleFile {
        RuleFile {
            name: name.into(),
            text: text.into(),
        }
    }

    #[test]
    fn builtin_tables_compile_and_match_their_examples() {
        let tables = Tables::builtin().unwrap();
        assert!(tables.wrappers.len() >= 8);
        assert!(tables.patterns.len() >= 15);
        assert!(!tables.paste.prefixes.is_empty());
    }

    #[test]
    fn every_cause_kind_but_unknown_has_a_text_pattern_or_wrapper() {
        let tables = Tables::builtin().unwrap();
        // A hang prints nothing of its own: only the import probe, which ran it, can tell.
        let seen_only_by_running = [CauseKind::ImportTimeout];
        for kind in CauseKind::ALL
            .into_iter()
            .filter(|k| !seen_only_by_running.contains(k))
        {
            let covered = tables.patterns.iter().any(|p| p.kind == kind)
                || tables.wrappers.iter().any(|w| w.genuine_kind == Some(kind));
            assert!(covered, "no text evidence for {kind}");
        }
    }

    #[test]
    fn a_bad_capture_name_is_reported_with_file_and_line() {
        let loader = file(
            "x/loader.toml",
            "[[pattern]]\nid = \"a\"\nkind = \"unknown\"\nregex = '(?P<soname>x)'\ndetail = \"d\"\n",
        );
        let builtin = files::builtin_under("tables");
        let get = |n: &str| builtin.iter().find(|f| f.name == n).unwrap().clone();
        let err = Tables::from_files(&get(MESSAGES_FILE), &loader, &get(PASTE_FILE))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("x/loader.toml:4: field `regex`"), "{err}");
        assert!(err.contains("soname"), "{err}");
    }

    #[test]
    fn an_unknown_key_or_kind_is_an_error() {
        let builtin = files::builtin_under("tables");
        let get = |n: &str| builtin.iter().find(|f| f.name == n).unwrap().clone();
        let loader = file(
            "l.toml",
            "[[pattern]]\nid = \"a\"\nkind = \"nope\"\nregex = 'x'\ndetail = \"d\"\n",
        );
        let err = Tables::from_files(&get(MESSAGES_FILE), &loader, &get(PASTE_FILE))
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown cause kind"), "{err}");
        let loader = file(
            "l.toml",
            "[[pattern]]\nid = \"a\"\nkind = \"unknown\"\nregex = 'x'\ndetail = \"d\"\ncolour = 1\n",
        );
        let err = Tables::from_files(&get(MESSAGES_FILE), &loader, &get(PASTE_FILE))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("l.toml:6"), "{err}");
    }
}
