//! Rendering a matched rule into a [`Diagnosis`] for this machine: each fix filled and
//! checked through the verifier when it changes the loader's search path.
//!
//! The placeholder values are `values`'; the notes and the fallback fix the renderer adds on
//! its own are `notes'`, worded and conditioned by `rules/tables/render.toml` (`table`).

mod notes;
pub mod table;
mod values;

use std::path::{Path, PathBuf};

use crate::catalog::causes::CauseTables;
use crate::catalog::tables::Tables;
use crate::evidence::{Evidence, Finding};
use crate::outcome::StoreCandidate;
use crate::outcome::{Diagnosis, Fix, Verification};
use crate::rules::model::{FixTemplate, PlanKind};
use crate::rules::runnable;
use crate::rules::template;
use crate::rules::{FixContext, FixPlan, Rule};
use table::RenderTable;

/// Placeholders whose text comes from the nixpkgs table (they get its notes).
const NIX_PLACEHOLDERS: &[&str] = &[
    "nix_attrs",
    "nix_ld_libraries",
    "nix_library_path",
    "store_lib_dirs",
];
const DISTRO_PLACEHOLDERS: &[&str] = &["debian_packages", "fedora_packages", "arch_packages"];
/// Placeholders whose text is a store path the fix puts on a search path.
const STORE_PLACEHOLDERS: &[&str] = &["store_lib_dirs", "pin_store_paths"];

/// One diagnosis in the making: the rule, the findings it explains, and what they need.
pub struct Subject<'a> {
    pub evidence: &'a Evidence,
    pub findings: Vec<&'a Finding>,
    pub tables: &'a Tables,
    pub render: &'a RenderTable,
    pub context: &'a FixContext<'a>,
    /// Distinct libraries of the findings, in order.
    libraries: Vec<String>,
    /// Distinct sonames the fixes must provide (for version kinds, the library that carries
    /// the version: `libstdc++.so.6`, `libc.so.6`).
    sonames: Vec<String>,
    /// First local store path per soname, when one exists.
    store_dirs: Vec<(String, Option<PathBuf>)>,
    /// The store entries of `store_dirs` no GC root holds; asked of nix-store once.
    unpinned: std::cell::OnceCell<Vec<String>>,
}

impl<'a> Subject<'a> {
    pub fn new(
        evidence: &'a Evidence,
        findings: Vec<&'a Finding>,
        tables: &'a Tables,
        render: &'a RenderTable,
        context: &'a FixContext<'a>,
    ) -> Subject<'a> {
        let libraries = distinct(findings.iter().filter_map(|f| f.library.clone()));
        let sonames = distinct(findings.iter().filter_map(|f| soname_needed(f)));
        let store_dirs = sonames
            .iter()
            .filter(|s| !tables.nixpkgs(s).is_some_and(|e| e.glibc))
            .map(|s| {
                let dir = (context.store_paths)(s).first().map(|p| library_dir(p));
                (s.clone(), dir)
            })
            .collect();
        Subject {
            evidence,
            findings,
            tables,
            render,
            context,
            libraries,
            sonames,
            store_dirs,
            unpinned: std::cell::OnceCell::new(),
        }
    }

    pub fn diagnosis(&self, rule: &Rule) -> Diagnosis {
        let first = self.findings.first();
        Diagnosis {
            rule: rule.doc.id.clone(),
            kind: rule.doc.kind,
            library: first.and_then(|f| f.library.clone()),
            required_by: first.and_then(|f| f.required_by.clone()),
            summary: self.fill(&rule.doc.summary),
            store_candidates: self.store_candidates(),
            explanation: self.fill(rule.doc.explanation.trim()),
            fixes: self.with_unknown_soname_pointer(self.fixes(rule)),
            libraries: self.libraries.clone(),
            advisory: rule.doc.when.latent == Some(true),
        }
    }

    fn fixes(&self, rule: &Rule) -> Vec<Fix> {
        rule.doc
            .fixes
            .iter()
            .zip(&rule.fix_matchers)
            .filter(|(_, m)| m.holds_for_group(self.evidence, &self.findings))
            .filter(|(fix, _)| !fix.destructive || self.failure_seen_here())
            .filter_map(|(fix, _)| self.fix(fix))
            .collect()
    }

    /// A destructive fix needs the failure seen on this machine, not read from a paste.
    fn failure_seen_here(&self) -> bool {
        self.context.machine.is_some()
            && self.evidence.environment.source == crate::evidence::EnvSource::Probed
    }

    /// One fix for this machine; `None` when its snippet has nothing left to run once the
    /// lines that name something unknown here are left out.
    fn fix(&self, fix: &FixTemplate) -> Option<Fix> {
        let texts = [Some(&fix.title), fix.snippet.as_ref(), fix.note.as_ref()];
        let uses = |names: &[&str]| {
            texts
                .iter()
                .flatten()
                .any(|t| template::placeholders(t).any(|p| names.contains(&p)))
        };
        let snippet = match &fix.snippet {
            Some(text) => Some(self.fill_snippet(text.trim_end(), fix)?),
            None => None,
        };
        let mut notes: Vec<String> = fix.note.iter().map(|n| self.fill(n.trim())).collect();
        if uses(NIX_PLACEHOLDERS) {
            notes.extend(self.nix_notes());
        }
        if uses(DISTRO_PLACEHOLDERS) {
            notes.extend(self.distro_notes());
        }
        if uses(STORE_PLACEHOLDERS) {
            notes.extend(self.context.store_note.map(str::to_string));
            notes.extend(self.unpinned_note());
        }
        let (mut verified, verified_by) = self.verify(&fix.id, fix.plan);
        let mut checked: Vec<String> = Vec::new();
        if let (Some(machine), Some(text)) = (self.context.machine, &snippet) {
            let runnable = runnable::check(text, fix.lang, machine);
            // A fix built on a file that is not here (`. .venv/bin/activate` with no
            // `.venv`) cannot work on this machine: it is not shown.
            if !runnable.missing_paths.is_empty() {
                return None;
            }
            if runnable.ok() {
                checked.extend(["commands".to_string(), "paths".to_string()]);
            } else {
                notes.push(self.not_runnable_note(&runnable));
                if verified == Verification::Verified {
                    verified = Verification::NotChecked;
                }
            }
        }
        checked.extend(verified_by.clone());
        Some(Fix {
            id: fix.id.clone(),
            title: self.fill(&fix.title),
            snippet,
            verified,
            verified_by,
            checked,
            note: (!notes.is_empty()).then(|| notes.join(" ")),
        })
    }

    /// A fix that changes the search path is re-resolved with the library directories
    /// that exist here; without a local copy of every library it cannot be checked.
    fn verify(&self, fix_id: &str, plan: PlanKind) -> (Verification, Option<String>) {
        if matches!(plan, PlanKind::EnvSitePackages | PlanKind::StorePackages) {
            return self.import_verdict(plan);
        }
        if plan == PlanKind::DriverDir {
            return self.driver_dir_verdict();
        }
        if plan == PlanKind::None || self.store_dirs.is_empty() {
            return (Verification::NotChecked, None);
        }
        let Some(dirs) = self
            .store_dirs
            .iter()
            .map(|(_, d)| d.clone())
            .collect::<Option<Vec<_>>>()
        else {
            return (Verification::NotChecked, None);
        };
        let dirs = distinct(dirs);
        let env = self.evidence.environment.clone();
        let joined = |extra: &[String]| {
            dirs.iter()
                .map(|d| d.display().to_string())
                .chain(extra.iter().cloned())
                .collect::<Vec<_>>()
                .join(":")
        };
        let env_vars = match plan {
            PlanKind::LibraryDirs => vec![("LD_LIBRARY_PATH".into(), joined(&env.ld_library_path))],
            PlanKind::NixLdLibraries => vec![(
                "NIX_LD_LIBRARY_PATH".into(),
                joined(&env.nix_ld.library_path),
            )],
            _ => Vec::new(),
        };
        let fix_plan = FixPlan {
            fix_id: fix_id.to_string(),
            library_dirs: dirs,
            env: env_vars,
        };
        let verdict = self.context.verifier.verify(&fix_plan);
        let by = (verdict != Verification::NotChecked)
            .then(|| self.context.verifier.method(&fix_plan).to_string());
        (verdict, by)
    }

    /// A fix that makes more packages visible was checked when the evidence was gathered: the
    /// module imported (or not) with their site-packages added. A store package stands in for
    /// an env not rebuilt yet, so the most it earns is partial.
    fn import_verdict(&self, plan: PlanKind) -> (Verification, Option<String>) {
        let imports = self
            .evidence
            .environment
            .store_module
            .as_ref()
            .and_then(|m| m.imports);
        let verdict = match (imports, plan) {
            (None, _) => return (Verification::NotChecked, None),
            (Some(false), _) => Verification::Failed,
            (Some(true), PlanKind::StorePackages) => Verification::Partial,
            (Some(true), _) => Verification::Verified,
        };
        (verdict, Some("import".to_string()))
    }

    /// The driver dir was tried when the CUDA libraries were searched (`check --cuda`).
    fn driver_dir_verdict(&self) -> (Verification, Option<String>) {
        let cuda = self.evidence.environment.cuda.as_ref();
        match cuda.and_then(|c| c.driver_dir_resolves) {
            Some(true) => (Verification::Verified, Some("resolver".into())),
            Some(false) => (Verification::Failed, Some("resolver".into())),
            None => (Verification::NotChecked, None),
        }
    }

    /// The store copies weighed for this diagnosis's libraries.
    fn store_candidates(&self) -> Vec<StoreCandidate> {
        self.context
            .store_candidates
            .iter()
            .filter(|c| self.sonames.contains(&c.soname))
            .cloned()
            .collect()
    }
}

/// The soname a fix must provide for this finding: for a version kind, the library that
/// carries the version (the cause tables say which).
fn soname_needed(finding: &Finding) -> Option<String> {
    match CauseTables::builtin().library_for_kind(finding.kind) {
        Some(library) => Some(library.to_string()),
        None => finding.library.clone().filter(|l| l.contains(".so")),
    }
}

/// Store paths are files (`…/lib/libz.so.1`); a directory is taken as is.
fn library_dir(path: &Path) -> PathBuf {
    let is_library = path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.contains(".so"));
    match (is_library, path.parent()) {
        (true, Some(parent)) => parent.to_path_buf(),
        _ => path.to_path_buf(),
    }
}

fn distinct<T: PartialEq>(items: impl IntoIterator<Item = T>) -> Vec<T> {
    let mut out = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}
