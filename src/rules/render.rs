//! Rendering a matched rule into a [`Diagnosis`] for this machine: placeholders filled from
//! the evidence, the data tables and the local store, and each fix checked through the
//! verifier when it changes the loader's search path.

use std::path::{Path, PathBuf};

use crate::catalog::causes::CauseTables;
use crate::catalog::tables::Tables;
use crate::evidence::{CauseKind, Evidence, Finding};
use crate::outcome::StoreCandidate;
use crate::outcome::{Diagnosis, Fix, Verification};
use crate::rules::model::{FixTemplate, PlanKind, SnippetLang};
use crate::rules::runnable;
use crate::rules::template;
use crate::rules::tooling::Installer;
use crate::rules::{FixContext, FixPlan, Rule};

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

    /// A soname the nixpkgs table does not know leaves the Nix fixes without their lines;
    /// the first fix then says how to find the attribute.
    fn with_unknown_soname_pointer(&self, mut fixes: Vec<Fix>) -> Vec<Fix> {
        let nix_related = self.evidence.environment.python.kind
            == crate::evidence::PythonKind::NixStore
            || self.evidence.environment.os.nixos == Some(true);
        let pointers: Vec<String> = self
            .sonames
            .iter()
            .filter(|s| nix_related && self.tables.nixpkgs(s).is_none())
            .map(|s| unknown_soname_note(s))
            .collect();
        if fixes.is_empty() && !nix_related {
            fixes.extend(self.find_package_fix());
        }
        if let Some(first) = fixes.first_mut() {
            for pointer in pointers {
                let note = first.note.get_or_insert_with(String::new);
                if !note.contains(&pointer) {
                    if !note.is_empty() {
                        note.push(' ');
                    }
                    note.push_str(&pointer);
                }
            }
        }
        fixes
    }

    /// When no fix could be filled for a library the distro table does not know, the way
    /// to find its package is the fix.
    fn find_package_fix(&self) -> Option<Fix> {
        let unknown: Vec<&String> = self
            .sonames
            .iter()
            .filter(|s| self.tables.distro(s).is_none())
            .collect();
        let first = unknown.first()?;
        Some(Fix {
            id: "distro-package".into(),
            title: format!("Find the package that ships {first}"),
            snippet: Some(format!(
                "apt-file search {first}   # Debian, Ubuntu\ndnf provides '*/{first}'   # Fedora, RHEL\npacman -F {first}   # Arch"
            )),
            verified: Verification::NotChecked,
            verified_by: None,
            checked: Vec::new(),
            note: None,
        })
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

    /// What the snippet needs that this machine lacks, and how to get the usual tools.
    fn not_runnable_note(&self, runnable: &runnable::Runnable) -> String {
        let mut parts = Vec::new();
        for program in &runnable.missing_commands {
            parts.push(match self.tables.tool(program) {
                Some(how) => format!("`{program}` is not on PATH here ({how})."),
                None => format!("`{program}` is not on PATH here."),
            });
        }
        if !runnable.missing_paths.is_empty() {
            parts.push(format!(
                "These paths do not exist here: {}.",
                runnable.missing_paths.join(", ")
            ));
        }
        parts.push("So it was not checked as a whole.".into());
        parts.join(" ")
    }

    /// Store paths no GC root holds go at the next `nix-collect-garbage`.
    fn unpinned_note(&self) -> Option<String> {
        let unpinned = self.unpinned_entries();
        (!unpinned.is_empty()).then(|| {
            format!(
                "No GC root holds {}: the next `nix-collect-garbage` removes it, and this fix \
                 breaks. Pin it (the snippet's `nix-store --add-root` line), or use the \
                 mkShell line.",
                unpinned.join(", ")
            )
        })
    }

    fn unpinned_entries(&self) -> Vec<String> {
        self.unpinned.get_or_init(|| self.query_unpinned()).clone()
    }

    fn query_unpinned(&self) -> Vec<String> {
        let Some(machine) = self.context.machine else {
            return Vec::new();
        };
        let store = self
            .evidence
            .environment
            .store_dir
            .clone()
            .unwrap_or_default();
        distinct(self.store_dirs.iter().filter_map(|(_, dir)| {
            let dir = dir.as_ref()?;
            let entry = crate::env::nix_store::entry_of(dir, Path::new(&store))?;
            (machine.is_rooted(&entry) == Some(false)).then(|| entry.display().to_string())
        }))
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

    /// Fill prose (titles, notes, explanations): a value that is not known becomes words.
    pub fn fill(&self, text: &str) -> String {
        template::render(text, &|name| {
            self.value(name)
                .unwrap_or_else(|| fallback_words(name).into())
        })
    }

    /// Fill a snippet: a line that needs a value not known here is left out, never shown
    /// with a placeholder in it. `None` when no line is left to run.
    fn fill_snippet(&self, text: &str, fix: &FixTemplate) -> Option<String> {
        let lines: Vec<String> = text
            .lines()
            .filter_map(|line| {
                let unknown = std::cell::Cell::new(false);
                let filled = template::render(line, &|name| {
                    self.snippet_value(name, fix).unwrap_or_else(|| {
                        unknown.set(true);
                        String::new()
                    })
                });
                (!unknown.get()).then_some(filled)
            })
            .collect::<Vec<String>>();
        // Nix code with a line left out would not parse: such a fix is not shown at all.
        if fix.lang == SnippetLang::Nix && lines.len() != text.lines().count() {
            return None;
        }
        let lines: Vec<String> = lines.into_iter().filter(|l| !l.trim().is_empty()).collect();
        let runs = lines.iter().any(|l| !l.trim_start().starts_with('#'));
        runs.then(|| lines.join("\n"))
    }

    /// A snippet's values: the fix's own `recreate_with` shapes `{venv_recreate}`.
    fn snippet_value(&self, name: &str, fix: &FixTemplate) -> Option<String> {
        match (name, &fix.recreate_with) {
            ("venv_recreate", Some(create)) => {
                let missing = std::cell::Cell::new(false);
                let create = template::render(create, &|n| {
                    self.value(n).unwrap_or_else(|| {
                        missing.set(true);
                        String::new()
                    })
                });
                let from_files = self.python_cannot_start();
                let venv = self.evidence.environment.python.venv.clone()?;
                (!missing.get()).then(|| {
                    self.installer()
                        .recreate_venv_with(&create, &venv, from_files)
                })
            }
            _ => self.value(name),
        }
    }

    /// The providers' directories, each once, in the findings' order.
    fn provider_dirs(&self) -> Option<String> {
        let mut dirs: Vec<String> = Vec::new();
        for f in &self.findings {
            let Some(dir) = f.provider.as_deref().and_then(|p| Path::new(p).parent()) else {
                continue;
            };
            let dir = dir.to_string_lossy().into_owned();
            if !dirs.contains(&dir) {
                dirs.push(dir);
            }
        }
        (!dirs.is_empty()).then(|| dirs.join(":"))
    }

    /// The oldest GCC whose libstdc++ defines every version these findings need.
    fn gcc_needed(&self) -> Option<String> {
        self.findings
            .iter()
            .filter(|f| f.kind == CauseKind::LibstdcxxVersionTooOld)
            .filter_map(|f| self.tables.gcc_for(f.library.as_deref()?))
            .max_by_key(|v| version_key(v))
            .map(str::to_string)
    }

    fn python_cannot_start(&self) -> bool {
        self.findings
            .iter()
            .any(|f| f.kind == CauseKind::InterpreterCannotStart)
    }

    fn installer(&self) -> Installer {
        let uv_here = self.context.machine.is_some_and(|m| m.has_command("uv"));
        Installer::for_python(&self.evidence.environment.python, uv_here)
    }

    fn value(&self, name: &str) -> Option<String> {
        let env = &self.evidence.environment;
        let python = &env.python;
        let first = self.findings.first();
        let venv = || python.venv.clone();
        match name {
            "library" => self.libraries.first().cloned(),
            "libraries" => in_words(&self.libraries),
            "required_by" => first.and_then(|f| f.required_by.clone()),
            "package" => self.package(),
            "module" => self.evidence.module.clone().or_else(|| self.package()),
            "provider" => first.and_then(|f| f.provider.clone()),
            "newest_available" => self
                .findings
                .iter()
                .find_map(|f| f.newest_available.clone()),
            "provider_via" => self.findings.iter().find_map(|f| f.provider_via.clone()),
            "timeout" => self
                .findings
                .iter()
                .find_map(|f| f.timeout_seconds)
                .map(|s| format!("{s} s")),
            "stuck_at" => self.findings.iter().find_map(|f| f.stuck_at.clone()),
            "gcc_needed" => self.gcc_needed(),
            "provider_dirs" => self.provider_dirs(),
            "shell_file" => env.shell.as_ref().and_then(|s| s.file.clone()),
            "kernel" => env.kernel.as_ref().map(|k| k.name.clone()),
            "kernel_spec" => env.kernel.as_ref().map(|k| k.spec.clone()),
            "kernel_module_python" => env.kernel.as_ref().and_then(|k| k.module_found_in.clone()),
            "kernel_new_name" => env.kernel.as_ref().and_then(kernel_new_name),
            "python" => python.executable.clone(),
            "base_python" => self.base_python(),
            "python_attr" => python
                .nix_attribute
                .clone()
                .or_else(|| {
                    python
                        .version
                        .as_deref()
                        .and_then(crate::env::classify::nix_python_attribute)
                })
                .or(Some("python3".into())),
            "python_minor" => python
                .version
                .as_deref()
                .map(|v| v.split('.').take(2).collect::<Vec<_>>().join(".")),
            "version" => python.version.clone(),
            "venv" => venv(),
            "pip_install" => python
                .executable
                .as_ref()
                .map(|_| self.installer().install()),
            "pip_reinstall" => python
                .executable
                .as_ref()
                .map(|_| self.installer().reinstall()),
            "pip_freeze" => python
                .executable
                .as_ref()
                .map(|_| self.installer().freeze()),
            "pip_check" => python.executable.as_ref().map(|_| self.installer().check()),
            "venv_create" => Some(self.installer().create_venv(
                &self.base_python().unwrap_or("python3".into()),
                &venv().unwrap_or(".venv".into()),
                false,
            )),
            "venv_recreate" => {
                let from_files = self.python_cannot_start();
                // A python that cannot start is rebuilt from one that can.
                let base = if from_files {
                    Some("python3".to_string())
                } else {
                    self.base_python()
                };
                Some(self.installer().recreate_venv(&base?, &venv()?, from_files))
            }
            "pin_store_paths" => self.pin_lines(),
            "nix_attrs" => self.nix_attrs().map(|a| a.join(" ")),
            "nix_ld_libraries" => self.nix_attrs().map(|a| {
                format!(
                    "programs.nix-ld.libraries = with pkgs; [ {} ];",
                    a.join(" ")
                )
            }),
            "nix_library_path" => self
                .nix_attrs()
                .map(|a| format!("lib.makeLibraryPath [ {} ]", a.join(" "))),
            "store_lib_dirs" => self.store_lib_dirs(),
            "debian_packages" => self.distro_packages(|e| &e.debian),
            "fedora_packages" => self.distro_packages(|e| &e.fedora),
            "arch_packages" => self.distro_packages(|e| &e.arch),
            _ => None,
        }
    }

    fn base_python(&self) -> Option<String> {
        let python = &self.evidence.environment.python;
        match (&python.base_prefix, &python.version) {
            (Some(base), Some(version)) => {
                let minor: Vec<&str> = version.split('.').take(2).collect();
                Some(format!("{base}/bin/python{}", minor.join(".")))
            }
            _ => python.executable.clone(),
        }
    }

    /// `nix-store --add-root` lines for the store entries the fix uses that no GC root holds.
    fn pin_lines(&self) -> Option<String> {
        let venv = self.evidence.environment.python.venv.clone()?;
        let unpinned = self.unpinned_entries();
        (!unpinned.is_empty()).then(|| {
            unpinned
                .iter()
                .map(|entry| {
                    let name = entry.rsplit('/').next().unwrap_or(entry);
                    format!(
                        "nix-store --add-root {venv}/.gcroots/{name} --indirect --realise {entry}"
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
        })
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

    /// nixpkgs attributes for the sonames; glibc's own libraries are never listed.
    fn nix_attrs(&self) -> Option<Vec<String>> {
        let attrs = distinct(
            self.sonames
                .iter()
                .filter_map(|s| self.tables.nixpkgs(s))
                .filter(|e| !e.glibc)
                .filter_map(|e| e.attr.clone()),
        );
        (!attrs.is_empty()).then_some(attrs)
    }

    fn store_lib_dirs(&self) -> Option<String> {
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
        (!dirs.is_empty()).then(|| dirs.join(":"))
    }

    fn distro_packages(
        &self,
        pick: fn(&crate::catalog::tables::DistroEntry) -> &String,
    ) -> Option<String> {
        let packages = distinct(
            self.sonames
                .iter()
                .filter_map(|s| self.tables.distro(s))
                .map(|e| pick(e).clone()),
        );
        (!packages.is_empty()).then(|| packages.join(" "))
    }

    /// The table's notes for these sonames, and a pointer for sonames it does not know.
    fn nix_notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        for soname in &self.sonames {
            match self.tables.nixpkgs(soname) {
                Some(entry) => notes.extend(entry.note.clone()),
                None => notes.push(unknown_soname_note(soname)),
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
    fn package(&self) -> Option<String> {
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
        // What to install for a missing module is that module, not the one importing it.
        let missing_module = self
            .findings
            .iter()
            .find(|f| f.kind == CauseKind::ModuleNotFound)
            .and_then(|f| f.library.clone());
        let top = |name: String| name.split('.').next().map(str::to_string);
        missing_module
            .and_then(top)
            .or(from_path)
            .or_else(|| self.evidence.package.clone())
            .or_else(|| self.evidence.module.clone().and_then(top))
            .filter(|p| !p.is_empty())
    }
}

fn unknown_soname_note(soname: &str) -> String {
    format!(
        "No nixpkgs attribute is known for {soname}: find one with `nix-locate --top-level --whole-name lib/{soname}`."
    )
}

/// `11.1.0` → [11, 1, 0], for ordering release numbers.
fn version_key(version: &str) -> Vec<u32> {
    version.split('.').filter_map(|p| p.parse().ok()).collect()
}

/// A name for a new kernel of the python that has the module, beside the kernel that comes
/// first on `JUPYTER_PATH` (`ml-proj` for `~/proj/.venv/bin/python`).
fn kernel_new_name(kernel: &crate::evidence::KernelFacts) -> Option<String> {
    let python = std::path::Path::new(kernel.module_found_in.as_deref()?);
    let prefix = python.parent()?.parent()?;
    let named = prefix
        .ancestors()
        .filter_map(|p| p.file_name()?.to_str())
        .find(|n| !n.starts_with('.') && !["venv", "env"].contains(n))?;
    Some(format!("{}-{named}", kernel.name))
}

/// Words for a value that is not known, in prose.
fn fallback_words(name: &str) -> &'static str {
    match name {
        "library" | "libraries" => "the library",
        "required_by" => "the extension module",
        "package" => "the package",
        "module" => "the module",
        "provider" => "the library found",
        "newest_available" => "an older version",
        "provider_via" => "the loader's search",
        "timeout" => "the time limit",
        "stuck_at" => "a place the probe could not see",
        "shell_file" => "the shell's configuration file",
        "kernel" => "the kernel",
        "kernel_spec" => "the kernel's kernel.json",
        "kernel_module_python" => "the python that has the module",
        "kernel_new_name" => "a new kernel name",
        "provider_dirs" => "the directories on LD_LIBRARY_PATH",
        "python" | "base_python" => "python3",
        "venv" => ".venv",
        "python_minor" => "3",
        _ => "",
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

/// `a`, `a and b`, `a, b and c`.
fn in_words(items: &[String]) -> Option<String> {
    match items {
        [] => None,
        [one] => Some(one.clone()),
        [init @ .., last] => Some(format!("{} and {last}", init.join(", "))),
    }
}
