//! Reading the text tables strictly and compiling them: regexes checked (ASCII word
//! boundaries, capture names, placeholders), each entry against its own examples, and the
//! entries of several files merged by id.

use regex::{Regex, RegexSet};
use serde::Deserialize;

use super::files::{self, RuleFile};
use super::merge::{Identified, Merged};
use super::regex_check::{check_examples, compile_regex, parse_kind};
use super::text::{
    CAPTURES, IMPLIES, LoaderPattern, PasteRules, TextTables, Wrapper, placeholders,
};
use crate::error::{Error, Result};

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
    /// The library the message is about when it names none ("Found no NVIDIA driver": the
    /// driver's `libcuda.so.1`); a `library` capture, when there is one, wins.
    #[serde(default)]
    library: Option<String>,
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

impl Identified for MessageEntry {
    fn id(&self) -> &str {
        &self.id
    }
}

impl Identified for PatternEntry {
    fn id(&self) -> &str {
        &self.id
    }
}

impl Identified for PasteEntry {
    fn id(&self) -> &str {
        &self.id
    }
}

/// The text tables as read, before compiling.
#[derive(Default)]
pub(super) struct RawTables<'a> {
    messages: Merged<'a, MessageEntry>,
    patterns: Merged<'a, PatternEntry>,
    prefixes: Merged<'a, PasteEntry>,
    ends: Merged<'a, PasteEntry>,
    suffixes: Merged<'a, PasteEntry>,
    frames: Merged<'a, PasteEntry>,
}

impl<'a> RawTables<'a> {
    pub(super) fn add_messages(&mut self, file: &'a RuleFile) -> Result<()> {
        let parsed: MessagesFile = files::parse(file)?;
        self.messages.add(file, parsed.message)
    }

    pub(super) fn add_patterns(&mut self, file: &'a RuleFile) -> Result<()> {
        let parsed: LoaderFile = files::parse(file)?;
        self.patterns.add(file, parsed.pattern)
    }

    pub(super) fn add_paste(&mut self, file: &'a RuleFile) -> Result<()> {
        let parsed: PasteFile = files::parse(file)?;
        self.prefixes.add(file, parsed.prefix)?;
        self.ends.add(file, parsed.end)?;
        self.suffixes.add(file, parsed.suffix)?;
        self.frames.add(file, parsed.frame)
    }

    pub(super) fn compile(self) -> Result<TextTables> {
        let wrappers = self
            .messages
            .items
            .iter()
            .map(|(file, entry)| compile_wrapper(file, entry))
            .collect::<Result<Vec<_>>>()?;
        let patterns = self
            .patterns
            .items
            .iter()
            .map(|(file, entry)| compile_pattern(file, entry))
            .collect::<Result<Vec<_>>>()?;
        let pattern_set = RegexSet::new(patterns.iter().map(|p| p.regex.as_str()))
            .map_err(|e| Error::Rules(format!("loader message patterns: {e}")))?;
        Ok(TextTables {
            wrappers,
            patterns,
            pattern_set,
            paste: compile_paste(&self.prefixes, &self.ends, &self.suffixes, &self.frames)?,
        })
    }
}

// ---- compiling --------------------------------------------------------------------------

fn compile_wrapper(file: &RuleFile, entry: &MessageEntry) -> Result<Wrapper> {
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
    Ok(Wrapper {
        root_missing: entry.root_missing.as_ref().map(fill),
        hidden: entry.hidden.as_ref().map(fill),
        id: entry.id.clone(),
        package: entry.package.clone(),
        regex,
        original,
        genuine_kind,
        explanation: entry.explanation.clone(),
    })
}

fn compile_pattern(file: &RuleFile, entry: &PatternEntry) -> Result<LoaderPattern> {
    let regex = compile_regex(file, &entry.id, "regex", &entry.regex)?;
    let mut names: Vec<&str> = regex.capture_names().flatten().collect();
    if entry.library.is_some() {
        names.push("library");
    }
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
    Ok(LoaderPattern {
        kind: parse_kind(file, &entry.id, "kind", &entry.kind)?,
        id: entry.id.clone(),
        regex,
        detail: entry.detail.clone(),
        library: entry.library.clone(),
        implies: entry.implies.clone(),
    })
}

fn compile_paste(
    prefix: &Merged<PasteEntry>,
    end: &Merged<PasteEntry>,
    suffix: &Merged<PasteEntry>,
    frame: &Merged<PasteEntry>,
) -> Result<PasteRules> {
    let prefixes = compile_anchored(
        prefix,
        |r| r.starts_with('^'),
        "a prefix must be anchored with `^`",
    )?;
    let mut ends = Vec::new();
    for (file, entry) in &end.items {
        compile_entry(file, entry)?;
        ends.push(entry.regex.clone());
    }
    let ends = RegexSet::new(&ends).map_err(|e| Error::Rules(format!("paste ends: {e}")))?;
    let suffixes = compile_anchored(
        suffix,
        |r| r.ends_with('$'),
        "a suffix must be anchored with `$`",
    )?;
    let mut frames = Vec::new();
    for (file, entry) in &frame.items {
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

/// Compile each entry, refusing one whose regex is not anchored as `anchored` wants.
fn compile_anchored(
    merged: &Merged<PasteEntry>,
    anchored: impl Fn(&str) -> bool,
    why: &str,
) -> Result<Vec<Regex>> {
    merged
        .items
        .iter()
        .map(|(file, entry)| {
            if !anchored(&entry.regex) {
                let message = format!("in `{}`: {why}", entry.id);
                return Err(files::field_error(file, &entry.regex, "regex", &message));
            }
            compile_entry(file, entry)
        })
        .collect()
}
