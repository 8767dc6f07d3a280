//! The text tables of `rules/tables/`: wrapper messages (`messages.toml`), loader and Python
//! messages that are evidence (`loader-messages.toml`) and paste cleaning (`paste.toml`).
//!
//! Owns merging the built-in tables with the `--rules DIR` ones and the compiled shapes; the
//! strict reading and the checks live in `text_compile`. It does not apply them (see
//! `source::paste`, `source::traceback`, `source::text_evidence`). The built-in tables are
//! compiled once per process.

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::OnceLock;

use regex::{Regex, RegexSet};

use super::files::{self, RuleFile};
use super::tables::table_name;
use super::text_compile::RawTables;
use crate::error::{Error, Result};
use crate::evidence::CauseKind;

/// File names of the text tables (under a `tables/` directory).
pub const MESSAGES_TABLE: &str = "messages.toml";
pub const LOADER_TABLE: &str = "loader-messages.toml";
pub const PASTE_TABLE: &str = "paste.toml";
/// Every text table name, for telling them from the fix tables.
pub const TEXT_TABLES: [&str; 3] = [MESSAGES_TABLE, LOADER_TABLE, PASTE_TABLE];

/// Capture names a loader pattern may use.
pub const CAPTURES: [&str; 4] = ["library", "required_by", "provider", "program"];

/// Facts about the machine that a message proves.
pub const IMPLIES: [&str; 4] = ["nixos", "musl", "windows", "macos"];

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
    /// The library a message is about when it names none.
    pub library: Option<String>,
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
pub struct TextTables {
    pub wrappers: Vec<Wrapper>,
    pub patterns: Vec<LoaderPattern>,
    /// All `patterns` regexes in one set, to skip most lines in one pass.
    pub pattern_set: RegexSet,
    pub paste: PasteRules,
}

impl TextTables {
    /// The built-in tables, compiled once.
    pub fn builtin() -> Result<&'static TextTables> {
        static TABLES: OnceLock<std::result::Result<TextTables, String>> = OnceLock::new();
        TABLES
            .get_or_init(|| TextTables::merged(&[]).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| Error::Rules(e.clone()))
    }

    /// Compile exactly these three tables (no built-in ones); errors name file, line and
    /// field.
    pub fn from_files(
        messages: &RuleFile,
        loader: &RuleFile,
        paste: &RuleFile,
    ) -> Result<TextTables> {
        let mut raw = RawTables::default();
        raw.add_messages(messages)?;
        raw.add_patterns(loader)?;
        raw.add_paste(paste)?;
        raw.compile()
    }

    /// The built-in tables extended with the text tables among `extra` (files named
    /// `tables/messages.toml`, `tables/loader-messages.toml`, `tables/paste.toml`); other
    /// files are skipped. An entry whose id a built-in one has replaces it in place; a new
    /// entry goes before the built-in ones, so that it is tried first.
    pub fn merged(extra: &[RuleFile]) -> Result<TextTables> {
        let builtin = files::builtin_under("tables");
        let mut raw = RawTables::default();
        for file in builtin.iter().chain(extra) {
            match table_name(&file.name) {
                Some(MESSAGES_TABLE) => raw.add_messages(file)?,
                Some(LOADER_TABLE) => raw.add_patterns(file)?,
                Some(PASTE_TABLE) => raw.add_paste(file)?,
                _ => {}
            }
        }
        raw.compile()
    }

    /// The tables for a run with these `--rules` directories: the built-in ones, unless a
    /// directory holds a text table.
    pub fn for_dirs(dirs: &[PathBuf]) -> Result<Cow<'static, TextTables>> {
        let mut extra = Vec::new();
        for dir in dirs {
            extra.extend(files::read_dir(dir)?);
        }
        TextTables::with_extra(&extra)
    }

    /// [`TextTables::merged`], borrowing the built-in tables when `extra` holds no text
    /// table (the usual case, and the one that must stay cheap).
    pub fn with_extra(extra: &[RuleFile]) -> Result<Cow<'static, TextTables>> {
        if extra.iter().any(is_text_table) {
            Ok(Cow::Owned(TextTables::merged(extra)?))
        } else {
            Ok(Cow::Borrowed(TextTables::builtin()?))
        }
    }
}

/// A file the text tables read (by its name: `…/tables/loader-messages.toml`).
pub fn is_text_table(file: &RuleFile) -> bool {
    table_name(&file.name).is_some_and(|name| TEXT_TABLES.contains(&name))
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
    use super::*;

    fn file(name: &str, text: &str) -> RuleFile {
        RuleFile {
            name: name.into(),
            text: text.into(),
        }
    }

    fn builtin_file(name: &str) -> RuleFile {
        files::builtin_under("tables")
            .into_iter()
            .find(|f| f.name == format!("rules/tables/{name}"))
            .unwrap()
    }

    #[test]
    fn builtin_tables_compile_and_match_their_examples() {
        let tables = TextTables::builtin().unwrap();
        assert!(tables.wrappers.len() >= 8);
        assert!(tables.patterns.len() >= 15);
        assert!(!tables.paste.prefixes.is_empty());
    }

    #[test]
    fn every_cause_kind_but_unknown_has_a_text_pattern_or_wrapper() {
        let tables = TextTables::builtin().unwrap();
        for kind in CauseKind::ALL {
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
        let err = TextTables::from_files(
            &builtin_file(MESSAGES_TABLE),
            &loader,
            &builtin_file(PASTE_TABLE),
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("x/loader.toml:4: field `regex`"), "{err}");
        assert!(err.contains("soname"), "{err}");
    }

    #[test]
    fn an_unknown_key_or_kind_is_an_error() {
        let (m, p) = (builtin_file(MESSAGES_TABLE), builtin_file(PASTE_TABLE));
        let loader = file(
            "l.toml",
            "[[pattern]]\nid = \"a\"\nkind = \"nope\"\nregex = 'x'\ndetail = \"d\"\n",
        );
        let err = TextTables::from_files(&m, &loader, &p)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown cause kind"), "{err}");
        let loader = file(
            "l.toml",
            "[[pattern]]\nid = \"a\"\nkind = \"unknown\"\nregex = 'x'\ndetail = \"d\"\ncolour = 1\n",
        );
        let err = TextTables::from_files(&m, &loader, &p)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("l.toml:6"), "{err}");
    }

    #[test]
    fn an_extra_pattern_goes_first_and_one_with_a_builtin_id_replaces_it_in_place() {
        let builtin = TextTables::builtin().unwrap();
        let replaced = builtin.patterns[1].id.clone();
        let extra = file(
            "mine/tables/loader-messages.toml",
            &format!(
                "[[pattern]]\nid = \"mine\"\nkind = \"unknown\"\nregex = 'frobnicate failed'\ndetail = \"d\"\n\n\
                 [[pattern]]\nid = \"{replaced}\"\nkind = \"unknown\"\nregex = 'replaced'\ndetail = \"d\"\n"
            ),
        );
        let merged = TextTables::with_extra(&[extra]).unwrap();
        assert!(matches!(merged, Cow::Owned(_)));
        assert_eq!(merged.patterns.len(), builtin.patterns.len() + 1);
        assert_eq!(merged.patterns[0].id, "mine");
        assert_eq!(merged.patterns[2].id, replaced);
        assert_eq!(merged.patterns[2].regex.as_str(), "replaced");
        assert!(merged.pattern_set.is_match("frobnicate failed"));
    }

    #[test]
    fn files_that_are_not_text_tables_leave_the_builtin_ones_borrowed() {
        let rule = file("mine/PD990.toml", "id = \"PD990\"");
        let nixpkgs = file("mine/tables/nixpkgs.toml", "");
        let tables = TextTables::with_extra(&[rule, nixpkgs]).unwrap();
        assert!(matches!(tables, Cow::Borrowed(_)));
    }

    #[test]
    fn a_duplicate_id_within_one_file_is_still_an_error() {
        let extra = file(
            "mine/tables/messages.toml",
            "[[message]]\nid = \"a\"\npackage = \"p\"\nregex = 'x'\nhidden = \"h\"\nexplanation = \"e\"\n\n\
             [[message]]\nid = \"a\"\npackage = \"p\"\nregex = 'y'\nhidden = \"h\"\nexplanation = \"e\"\n",
        );
        let err = TextTables::merged(&[extra]).unwrap_err().to_string();
        assert!(err.contains("duplicate id"), "{err}");
    }
}
