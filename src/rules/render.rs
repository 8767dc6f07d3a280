//! Rendering a matched rule into a [`Diagnosis`] for this machine: placeholders filled from
//! the evidence, the data tables and the local store, and each fix checked through the
//! verifier when it changes the loader's search path.

use std::path::{Path, PathBuf};

use crate::evidence::{CauseKind, Evidence, Finding};
use crate::outcome::{Diagnosis, Fix, Verification};
use crate::rules::model::PlanKind;
use crate::rules::tables::Tables;
use crate::rules::template;
use crate::rules::{FixContext, FixPlan, Rule};

/// Placeholders whose text comes from the nixpkgs table (they get its notes).
const NIX_PLACEHOLDERS: &[&str] = &[
    "nix_attrs",
    "nix_ld_libraries",
    "nix_library_path",
    "store_lib_dirs",
];
const DISTRO_PLACEHOLDERS: &[&str] = &["debian_packages", "fedora_packages", "arch_packages"];

/// One diagnosis in the making: the rule, the findings it explains, and what they need.
pub struct Subject<'a> {
    pub evidence: &'a Evidence,
    pub findings: Vec<&'a Finding>,
    pub tables: &'a Tables,
    pub context: &'a FixContext<'a>,
    /// Distinct libraries of the findings, in order.
    libraries: Vec<String>,
    /// Distinct sonames the fixes must provide (for version kinds, the library that carries
    /// the version: `libstdc++.so.6`, `libc.so.6`).
    sonames: Vec<String>,
    /// First local store path per soname, when one exists.
    store_dirs: Vec<(String, Option<PathBuf>)>,
}

impl<'a> Subject<'a> {
    pub fn new(
        evidence: &'a Evidence,
        findings: Vec<&'a Finding>,
        tables: &'a Tables,
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
            context,
            libraries,
            sonames,
            store_dirs,
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
            explanation: self.fill(rule.doc.explanation.trim()),
            fixes: self.fixes(rule),
            libraries: self.libraries.clone(),
        }
    }

    fn fixes(&self, rule: &Rule) -> Vec<Fix> {
        rule.doc
            .fixes
            .iter()
            .zip(&rule.fix_matchers)
            .filter(|(_, m)| m.holds_for_group(self.evidence, &self.findings))
            .map(|(fix, _)| {
                let texts = [Some(&fix.title), fix.snippet.as_ref(), fix.note.as_ref()];
                let uses = |names: &[&str]| {
                    texts
                        .iter()
                        .flatten()
                        .any(|t| template::placeholders(t).any(|p| names.contains(&p)))
                };
                let mut notes: Vec<String> = fix.note.iter().map(|n| self.fill(n.trim())).collect();
                if uses(NIX_PLACEHOLDERS) {
                    notes.extend(self.nix_notes());
                }
                if uses(DISTRO_PLACEHOLDERS) {
                    notes.extend(self.distro_notes());
                }
                let (verified, verified_by) = self.verify(&fix.id, fix.plan);
                Fix {
                    id: fix.id.clone(),
                    title: self.fill(&fix.title),
                    snippet: fix.snippet.as_ref().map(|s| self.fill(s.trim_end())),
                    verified,
                    verified_by,
                    note: (!notes.is_empty()).then(|| notes.join(" ")),
                }
            })
            .collect()
    }

    /// A fix that changes the search path is re-resolved with the library directories
    /// that exist here; without a local copy of every library it cannot be checked.
    fn verify(&self, fix_id: &str, plan: PlanKind) -> (Verification, Option<String>) {
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
            PlanKind::Rpath | PlanKind::None => Vec::new(),
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

    pub fn fill(&self, text: &str) -> String {
        template::render(text, &|name| self.value(name))
    }

    fn value(&self, name: &str) -> String {
        let env = &self.evidence.environment;
        let python = &env.python;
        let first = self.findings.first();
        match name {
            "library" => self
                .libraries
                .first()
                .cloned()
                .unwrap_or("the library".into()),
            "libraries" => in_words(&self.libraries).unwrap_or("the library".into()),
            "required_by" => first
                .and_then(|f| f.required_by.clone())
                .unwrap_or("the extension module".into()),
            "package" => self.package(),
            "module" => self
                .evidence
                .module
                .clone()
                .unwrap_or_else(|| self.package()),
            "provider" => first
                .and_then(|f| f.provider.clone())
                .unwrap_or("the library found".into()),
            "newest_available" => first
                .and_then(|f| f.newest_available.clone())
                .unwrap_or("an older version".into()),
            "python" => python.executable.clone().unwrap_or("python3".into()),
            "base_python" => match (&python.base_prefix, &python.version) {
                (Some(base), Some(version)) => {
                    let minor: Vec<&str> = version.split('.').take(2).collect();
                    format!("{base}/bin/python{}", minor.join("."))
                }
                _ => python.executable.clone().unwrap_or("python3".into()),
            },
            "python_attr" => python
                .nix_attribute
                .clone()
                .or_else(|| {
                    python
                        .version
                        .as_deref()
                        .and_then(crate::env::classify::nix_python_attribute)
                })
                .unwrap_or("python3".into()),
            "python_minor" => python
                .version
                .as_deref()
                .map(|v| v.split('.').take(2).collect::<Vec<_>>().join("."))
                .unwrap_or("3".into()),
            "version" => python.version.clone().unwrap_or_default(),
            "venv" => python.venv.clone().unwrap_or(".venv".into()),
            "nix_attrs" => self.nix_attrs().join(" "),
            "nix_ld_libraries" => format!(
                "programs.nix-ld.libraries = with pkgs; [ {} ];",
                self.nix_attrs().join(" ")
            ),
            "nix_library_path" => {
                format!("lib.makeLibraryPath [ {} ]", self.nix_attrs().join(" "))
            }
            "store_lib_dirs" => self.store_lib_dirs(),
            "debian_packages" => self.distro_packages(|e| &e.debian),
            "fedora_packages" => self.distro_packages(|e| &e.fedora),
            "arch_packages" => self.distro_packages(|e| &e.arch),
            _ => String::new(),
        }
    }

    /// nixpkgs attributes for the sonames; glibc's own libraries are never listed.
    fn nix_attrs(&self) -> Vec<String> {
        let attrs = distinct(
            self.sonames
                .iter()
                .filter_map(|s| self.tables.nixpkgs(s))
                .filter(|e| !e.glibc)
                .filter_map(|e| e.attr.clone()),
        );
        if attrs.is_empty() {
            vec!["PACKAGE".into()]
        } else {
            attrs
        }
    }

    fn store_lib_dirs(&self) -> String {
        let dirs = distinct(self.store_dirs.iter().filter_map(|(soname, dir)| {
            match dir {
                Some(dir) => Some(dir.display().to_string()),
                None => self
                    .tables
                    .nixpkgs(soname)
                    .and_then(|e| e.installable())
                    .map(|i| format!("$(nix build --no-link --print-out-paths nixpkgs#{i})/lib")),
            }
        }));
        if dirs.is_empty() {
            "/path/to/lib".into()
        } else {
            dirs.join(":")
        }
    }

    fn distro_packages(&self, pick: fn(&crate::rules::tables::DistroEntry) -> &String) -> String {
        let packages = distinct(
            self.sonames
                .iter()
                .filter_map(|s| self.tables.distro(s))
                .map(|e| pick(e).clone()),
        );
        if packages.is_empty() {
            "PACKAGE".into()
        } else {
            packages.join(" ")
        }
    }

    /// The table's notes for these sonames, and a pointer for sonames it does not know.
    fn nix_notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        for soname in &self.sonames {
            match self.tables.nixpkgs(soname) {
                Some(entry) => notes.extend(entry.note.clone()),
                None => notes.push(format!(
                    "No nixpkgs attribute is known for {soname}: find one with `nix-locate --top-level --whole-name lib/{soname}`."
                )),
            }
        }
        notes
    }

    fn distro_notes(&self) -> Vec<String> {
        self.sonames
            .iter()
            .filter(|s| self.tables.distro(s).is_none())
            .map(|s| {
                format!("No package is known for {s}: `apt-file search {s}` or `dnf provides '*/{s}'` finds it.")
            })
            .collect()
    }

    /// The Python distribution involved: the directory under site-packages of the file that
    /// needs the library (`numpy.libs` → `numpy`), else the top-level module.
    fn package(&self) -> String {
        let from_path = self.findings.iter().find_map(|f| {
            let path = f.required_by.as_deref()?;
            let (_, rest) = path
                .rsplit_once("site-packages/")
                .or_else(|| path.rsplit_once("dist-packages/"))?;
            let top = rest.split('/').next()?;
            let top = top.strip_suffix(".libs").unwrap_or(top);
            let top = top.split('.').next()?;
            (!top.is_empty()).then(|| top.to_string())
        });
        let from_module = || {
            let name = self.evidence.module.clone().or_else(|| {
                self.findings
                    .iter()
                    .find(|f| f.kind == CauseKind::ModuleNotFound)
                    .and_then(|f| f.library.clone())
            })?;
            name.split('.').next().map(str::to_string)
        };
        from_path.or_else(from_module).unwrap_or("PACKAGE".into())
    }
}

/// The soname a fix must provide for this finding.
fn soname_needed(finding: &Finding) -> Option<String> {
    match finding.kind {
        CauseKind::LibstdcxxVersionTooOld => Some("libstdc++.so.6".into()),
        CauseKind::GlibcVersionTooOld => Some("libc.so.6".into()),
        _ => finding.library.clone().filter(|l| l.contains(".so")),
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

/// `a`, `a and b`, `a, b and c`.
fn in_words(items: &[String]) -> Option<String> {
    match items {
        [] => None,
        [one] => Some(one.clone()),
        [init @ .., last] => Some(format!("{} and {last}", init.join(", "))),
    }
}
