//! The rule database: loading rule files, matching evidence, rendering and verifying fixes.
//!
//! Rules are data (`rules/diagnoses/*.toml`, one rule per file, see `model`), compiled into the
//! binary and extended with `--rules DIR`; the tables they render from live in
//! `rules/tables/`. API used by the commands: [`Database::load`], [`Database::diagnose`].

mod compile;
mod example;
pub mod matching;
pub mod model;
pub mod render;
pub mod runnable;
pub mod template;
pub mod tooling;

// The rule files and fix tables are data, kept in `catalog`; named here too for callers that
// reach them through the rules.
pub use crate::catalog::{files, tables};

pub use example::example_evidence;

use std::path::PathBuf;

use crate::catalog::text::{self as text_tables, TextTables};
use crate::error::Result;
use crate::evidence::{CauseKind, Evidence};
use crate::outcome::{Diagnosis, StoreCandidate, Verification};
use compile::compile;
use files::RuleFile;
use matching::{Candidate, Matcher};
use model::{RuleDoc, RuleStatus};
use render::table::RenderTable;
use tables::Tables;

/// One loaded rule: what its file says, compiled.
#[derive(Debug, Clone)]
pub struct Rule {
    pub doc: RuleDoc,
    /// The file it came from (`rules/diagnoses/PD101-….toml` or a real path).
    pub file: String,
    pub matcher: Matcher,
    /// One per `doc.fixes`, same order.
    pub fix_matchers: Vec<Matcher>,
}

impl Candidate for Rule {
    fn kind(&self) -> CauseKind {
        self.doc.kind
    }
    fn matcher(&self) -> &Matcher {
        &self.matcher
    }
}

/// The loaded rule database (built-in rules plus `--rules` dirs).
#[derive(Debug)]
pub struct Database {
    /// Sorted by id.
    rules: Vec<Rule>,
    /// Indices into `rules` of the active ones, most specific (highest priority) first.
    by_priority: Vec<usize>,
    pub tables: Tables,
    /// The renderer's own fallback fix and notes (`tables/render.toml`).
    pub render: RenderTable,
    /// The text tables of the `--rules` dirs, merged into the built-in ones; None when no dir
    /// has one. See [`Database::text`].
    extra_text: Option<TextTables>,
}

impl Database {
    /// Built-in rules plus every `--rules DIR` of the request; a malformed file is an error
    /// naming file, line and field.
    pub fn load(dirs: &[PathBuf]) -> Result<Database> {
        let mut all = files::builtin();
        for dir in dirs {
            all.extend(files::read_dir(dir)?);
        }
        Database::from_files(&all)
    }

    /// The text tables the evidence makers apply: the built-in ones, extended by the `--rules`
    /// dirs'.
    pub fn text(&self) -> Result<&TextTables> {
        match &self.extra_text {
            Some(merged) => Ok(merged),
            None => TextTables::builtin(),
        }
    }

    /// The built-in database alone.
    pub fn builtin() -> Result<Database> {
        Database::from_files(&files::builtin())
    }

    /// Read rule and table files: files in a `tables/` directory are tables, every other file
    /// is one rule. Text tables that are not the built-in files extend the built-in ones.
    pub fn from_files(rule_files: &[RuleFile]) -> Result<Database> {
        let extra_text: Vec<RuleFile> = rule_files
            .iter()
            .filter(|f| text_tables::is_text_table(f) && !files::is_builtin(f))
            .cloned()
            .collect();
        let mut db = Database {
            rules: Vec::new(),
            by_priority: Vec::new(),
            tables: Tables::default(),
            render: RenderTable::builtin()?.clone(),
            // Compiled (and so checked) now when a dir adds to them; the built-in ones only
            // when asked for: a scan or a rule listing reads no text, and compiling every
            // pattern costs it more than the rest of its work.
            extra_text: match extra_text.is_empty() {
                true => None,
                false => Some(TextTables::merged(&extra_text)?),
            },
        };
        for file in rule_files {
            if tables::table_name(&file.name) == Some(tables::RENDER_TABLE) {
                db.render = RenderTable::from_file(file)?;
                continue;
            }
            if tables::table_name(&file.name).is_some() {
                db.tables.add(file)?;
                continue;
            }
            let rule = compile(file)?;
            if let Some(other) = db.rules.iter().find(|r| r.doc.id == rule.doc.id) {
                return Err(files::field_error(
                    file,
                    &rule.doc.id,
                    "id",
                    &format!("`{}` is already used by {}", rule.doc.id, other.file),
                ));
            }
            db.rules.push(rule);
        }
        db.rules.sort_by(|a, b| a.doc.id.cmp(&b.doc.id));
        let mut order: Vec<usize> = (0..db.rules.len())
            .filter(|&i| db.rules[i].doc.status == RuleStatus::Active)
            .collect();
        order.sort_by_key(|&i| std::cmp::Reverse(db.rules[i].doc.priority));
        db.by_priority = order;
        Ok(db)
    }

    /// Every rule, removed ones included, sorted by id.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// A rule by id (`PD101`, any case) or by name.
    pub fn find(&self, id_or_name: &str) -> Option<&Rule> {
        self.rules
            .iter()
            .find(|r| r.doc.id.eq_ignore_ascii_case(id_or_name) || r.doc.name == id_or_name)
    }

    /// Match the evidence against every rule; most likely diagnosis first. Fixes are rendered
    /// for the evidence's environment and checked through `context.verifier`.
    pub fn diagnose(&self, evidence: &Evidence, context: &FixContext) -> Vec<Diagnosis> {
        let active: Vec<&Rule> = self.by_priority.iter().map(|&i| &self.rules[i]).collect();
        matching::assign(&active, evidence)
            .into_iter()
            .map(|group| {
                let findings = group
                    .findings
                    .iter()
                    .map(|&i| &evidence.findings[i])
                    .collect();
                render::Subject::new(evidence, findings, &self.tables, &self.render, context)
                    .diagnosis(active[group.rule])
            })
            .collect()
    }

    /// Run every rule against its own examples; one line per example that does not behave.
    pub fn check_examples(&self) -> Vec<String> {
        let context = FixContext::offline();
        let mut failures = Vec::new();
        for rule in &self.rules {
            for example in &rule.doc.examples {
                let evidence = example_evidence(example);
                let claims = matching::assign(std::slice::from_ref(&rule), &evidence);
                let matched = !claims.is_empty();
                let first = self.diagnose(&evidence, &context).into_iter().next();
                let wins = first.as_ref().is_some_and(|d| d.rule == rule.doc.id);
                let problem = match (example.matches, matched, wins) {
                    (true, false, _) => Some("does not match".to_string()),
                    (true, true, false) => Some(format!(
                        "matches, but the database diagnoses {} first",
                        first.map_or("nothing".into(), |d| d.rule)
                    )),
                    (false, true, _) => Some("matches but must not".to_string()),
                    _ => None,
                };
                if let Some(problem) = problem {
                    failures.push(format!(
                        "{} ({}): example `{}` {problem}",
                        rule.doc.id, rule.file, example.name
                    ));
                }
            }
        }
        failures
    }
}

impl Candidate for &Rule {
    fn kind(&self) -> CauseKind {
        self.doc.kind
    }
    fn matcher(&self) -> &Matcher {
        &self.matcher
    }
}

/// What fix rendering may know about this machine beyond the evidence.
pub struct FixContext<'a> {
    /// Where a library already sits in the local Nix store, per soname (empty when unknown):
    /// the chosen copy first. Paths to the library files; the fix uses their directories.
    pub store_paths: &'a dyn Fn(&str) -> Vec<PathBuf>,
    /// Re-checks a fix that changes the search path.
    pub verifier: &'a dyn FixVerifier,
    /// The machine the fixes are for, when they are for this one: their commands and paths
    /// are checked against it. `None` for text from elsewhere.
    pub machine: Option<&'a dyn runnable::Machine>,
    /// Every store copy of the missing libraries that was weighed, and why some were passed
    /// over.
    pub store_candidates: &'a [StoreCandidate],
    /// Said when the store look was cut short by its budget.
    pub store_note: Option<&'a str>,
}

fn no_store(_: &str) -> Vec<PathBuf> {
    Vec::new()
}

impl<'a> FixContext<'a> {
    /// Fixes rendered from the evidence alone: no store, nothing checked.
    pub fn offline() -> FixContext<'static> {
        FixContext {
            store_paths: &no_store,
            verifier: &NoVerifier,
            machine: None,
            store_candidates: &[],
            store_note: None,
        }
    }

    pub fn new(
        store_paths: &'a dyn Fn(&str) -> Vec<PathBuf>,
        verifier: &'a dyn FixVerifier,
    ) -> FixContext<'a> {
        FixContext {
            store_paths,
            verifier,
            machine: None,
            store_candidates: &[],
            store_note: None,
        }
    }

    pub fn on_machine(mut self, machine: &'a dyn runnable::Machine) -> FixContext<'a> {
        self.machine = Some(machine);
        self
    }

    pub fn with_store(
        mut self,
        candidates: &'a [StoreCandidate],
        note: Option<&'a str>,
    ) -> FixContext<'a> {
        self.store_candidates = candidates;
        self.store_note = note;
        self
    }
}

/// A fix reduced to what changes for the loader, so it can be re-resolved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FixPlan {
    pub fix_id: String,
    /// Directories the fix adds to the search (LD_LIBRARY_PATH, nix-ld libraries, rpath).
    pub library_dirs: Vec<PathBuf>,
    /// Environment variables the fix sets when the import is re-run (`check --verify`).
    pub env: Vec<(String, String)>,
}

/// Checks a fix before it is shown (by re-resolving, or by re-running the import).
pub trait FixVerifier {
    fn verify(&self, plan: &FixPlan) -> Verification;

    /// How it checked `plan`, for the report's `verified_by` ("resolver", "import").
    fn method(&self, _plan: &FixPlan) -> &'static str {
        "resolver"
    }
}

/// For sources where nothing can be re-checked (a paste whose paths are not on this machine).
pub struct NoVerifier;

impl FixVerifier for NoVerifier {
    fn verify(&self, _plan: &FixPlan) -> Verification {
        Verification::NotChecked
    }
}
