//! What each command adds to its report beyond the common members: the JSON document's
//! `extra` (docs/json.md), typed, so that a renderer reads fields the compiler knows.
//!
//! The shapes follow the commands' data, not the commands: `fix` reports carry a check's
//! payload, `check -` an explain's.

use std::path::PathBuf;

use serde::Serialize;

use crate::env::Interpreter;
use crate::evidence::{Failure, LoaderFlavor};
use crate::rules::model::RuleDoc;
use crate::rules::tables::{DistroEntry, NixpkgsEntry};
use crate::scan::walk::WalkError;
use crate::scan::{PackageSummary, TargetKind};
use crate::source::probe::InterpreterFacts;

/// The command-specific part of a report.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(untagged)]
pub enum Payload {
    /// Nothing beyond the common members (a check whose interpreter did not start, an undo).
    #[default]
    None,
    Check(CheckPayload),
    Explain(ExplainPayload),
    Scan(ScanPayload),
    Ldd(LddPayload),
    Env(EnvPayload),
    Rules(RulesPayload),
}

impl Payload {
    /// `check`'s (and `fix`'s) payload, made when first written to.
    pub fn check_mut(&mut self) -> &mut CheckPayload {
        if !matches!(self, Payload::Check(_)) {
            *self = Payload::Check(CheckPayload::default());
        }
        match self {
            Payload::Check(check) => check,
            _ => unreachable!("set just above"),
        }
    }

    pub fn check(&self) -> Option<&CheckPayload> {
        match self {
            Payload::Check(check) => Some(check),
            _ => None,
        }
    }

    pub fn explain(&self) -> Option<&ExplainPayload> {
        match self {
            Payload::Explain(explain) => Some(explain),
            _ => None,
        }
    }

    /// The remark on the run: the input (`explain`), or a module that hung (`check`).
    pub fn note(&self) -> Option<&str> {
        match self {
            Payload::Check(check) => check.note.as_deref(),
            Payload::Explain(explain) => explain.note.as_deref(),
            _ => None,
        }
    }
}

/// `check` (and `fix`, which diagnoses as `check` does).
#[derive(Debug, Clone, Default, Serialize)]
pub struct CheckPayload {
    /// "fixed by pydoctor fix on …" when the venv holds a proven fix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed: Option<String>,
    /// One entry per module asked about; absent when the interpreter did not start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modules: Option<Vec<ModuleSummary>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One module of a `check`: how its import went and how much of it was resolved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModuleSummary {
    pub module: String,
    /// False with `--no-import`: only its files were resolved.
    pub imported: bool,
    pub ok: Option<bool>,
    pub timed_out: Option<bool>,
    pub import_seconds: Option<f64>,
    /// The package directory, when it was found on sys.path.
    pub package: Option<String>,
    pub vendored: Option<Vec<String>>,
    pub elf_files: usize,
    pub resolve_ms: f64,
}

/// `explain`, and `check -`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ExplainPayload {
    /// Every failure, when the text held more than one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failures: Option<Vec<Failure>>,
    pub input: InputFacts,
    /// What to do next, when no rule explains the failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_steps: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// What the fixes' `{package}` stands for, read from the text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// Files the text names that exist here and were resolved by this machine's loader.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved_locally: Option<Vec<String>>,
}

/// How much of the input was read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct InputFacts {
    pub bytes_read: u64,
    pub truncated: bool,
    /// The input did not end (a stream that went on): reading stopped at the limit.
    pub stopped_early: bool,
}

/// `scan`.
#[derive(Debug, Clone, Serialize)]
pub struct ScanPayload {
    pub scan: ScanFacts,
    /// Every file that would fail to load.
    pub failing: Vec<String>,
    /// Vendored libraries loaded by other scanned files (judged through those files).
    pub dependencies: Vec<String>,
    pub packages: Vec<PackageSummary>,
}

/// What was scanned, with what, and how the walk went.
#[derive(Debug, Clone, Serialize)]
pub struct ScanFacts {
    pub kind: TargetKind,
    pub roots: Vec<PathBuf>,
    pub interpreter: PathBuf,
    pub interpreter_chosen_by: &'static str,
    pub loader: Option<PathBuf>,
    pub loader_flavor: LoaderFlavor,
    pub glibc_version: Option<String>,
    /// Why the host's loader was used instead of the interpreter's.
    pub loader_note: Option<String>,
    pub files_seen: usize,
    pub elf_files: usize,
    pub symlinks_skipped: usize,
    pub distributions: usize,
    /// Paths the walk (or a RECORD) could not read.
    pub errors: Vec<WalkError>,
}

/// `ldd`.
#[derive(Debug, Clone, Serialize)]
pub struct LddPayload {
    pub loader: LoaderFacts,
}

/// The loader the files were resolved for, as it searches.
#[derive(Debug, Clone, Serialize)]
pub struct LoaderFacts {
    pub interpreter: Option<PathBuf>,
    pub flavor: LoaderFlavor,
    pub glibc_version: Option<String>,
    pub default_dirs: Vec<PathBuf>,
    pub cache_path: Option<PathBuf>,
    pub hwcaps_subdirs: Vec<String>,
    pub main_program: Option<PathBuf>,
    pub preloaded: Vec<PathBuf>,
}

/// `env`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct EnvPayload {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interpreter: Option<Interpreter>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interpreter_facts: Option<Box<InterpreterFacts>>,
    /// Why no interpreter was found (a fact, not an error, without `--python`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub python_not_found: Option<String>,
}

/// `rules`: the list, one rule, or the data of docs/rules.md.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum RulesPayload {
    List {
        rules: Vec<RuleSummary>,
    },
    One {
        rule: Box<RuleDoc>,
        rule_file: String,
    },
    Markdown {
        markdown: MarkdownFlag,
        rules: Vec<RuleDoc>,
        tables: TablesView,
    },
}

/// `"markdown": true`: the member that says the rules are the data of docs/rules.md.
#[derive(Debug, Clone, Copy, Default)]
pub struct MarkdownFlag;

impl Serialize for MarkdownFlag {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bool(true)
    }
}

/// One line of the rule list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleSummary {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub summary: String,
    pub status: String,
}

/// The data tables as shown in docs/rules.md.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TablesView {
    pub nixpkgs: Vec<NixpkgsEntry>,
    pub distro: Vec<DistroEntry>,
}
