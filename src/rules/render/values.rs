//! The values of a rule's placeholders for one diagnosis (docs/rules.md lists them), and the
//! words that stand for a value not known.

use std::path::Path;

use super::{Subject, distinct};
use crate::evidence::CauseKind;
use crate::rules::model::{FixTemplate, SnippetLang};
use crate::rules::template;
use crate::rules::tooling::Installer;

impl Subject<'_> {
    /// Fill prose (titles, notes, explanations): a value that is not known becomes words.
    pub fn fill(&self, text: &str) -> String {
        template::render(text, &|name| {
            self.value(name)
                .unwrap_or_else(|| fallback_words(name).into())
        })
    }

    /// Fill a snippet: a line that needs a value not known here is left out, never shown
    /// with a placeholder in it. `None` when no line is left to run.
    pub(super) fn fill_snippet(&self, text: &str, fix: &FixTemplate) -> Option<String> {
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

    /// A placeholder's value here. One arm per placeholder of `template::PLACEHOLDERS`: a
    /// table, kept as one match so that the names and their values are read side by side.
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
            // The evidence makers name the attribute with the version (env::classify).
            "python_attr" => python.nix_attribute.clone().or(Some("python3".into())),
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
            "nix_env" => env.nix_env.as_ref().map(|e| e.path.clone()),
            "module_attr" => self.module_attr(),
            "with_packages" => self.with_packages(),
            "store_module" => env.store_module.as_ref().and_then(|m| m.chosen.clone()),
            "other_pythons" => env
                .store_module
                .as_ref()
                .and_then(|m| in_words(&m.other_pythons)),
            "other_python_attr" => env
                .store_module
                .as_ref()
                .and_then(|m| m.other_pythons.iter().max_by_key(|v| version_key(v)))
                .map(|v| format!("python{}", v.replace('.', ""))),
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

    /// nixpkgs attributes for the sonames; glibc's own libraries are never listed.
    /// The missing module's nixpkgs attribute: its store package's name, else the
    /// distribution's name lowercased with `-` (nixpkgs' usual spelling).
    fn module_attr(&self) -> Option<String> {
        let store = self.evidence.environment.store_module.as_ref();
        let chosen = store.and_then(|m| {
            m.store
                .iter()
                .find(|p| Some(&p.path) == m.chosen.as_ref())
                .or(m.store.first())
        });
        match chosen {
            Some(package) => Some(package.name.clone()),
            None => Some(self.package()?.to_lowercase().replace(['_', '.'], "-")),
        }
    }

    /// `ps.a ps.b`: the env's packages that are not only another's dependency, then the
    /// missing one.
    fn with_packages(&self) -> Option<String> {
        let mut names: Vec<String> = self
            .evidence
            .environment
            .nix_env
            .iter()
            .flat_map(|e| e.packages.iter())
            .filter(|p| !p.dependency)
            .map(|p| p.name.clone())
            .collect();
        let wanted = self.module_attr()?;
        if !names.contains(&wanted) {
            names.push(wanted);
        }
        Some(
            names
                .iter()
                .map(|n| format!("ps.{n}"))
                .collect::<Vec<_>>()
                .join(" "),
        )
    }

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
        "nix_env" => "the python environment",
        "store_module" => "the store's copy",
        "other_pythons" => "another Python version",
        _ => "",
    }
}

/// `a`, `a and b`, `a, b and c`.
fn in_words(items: &[String]) -> Option<String> {
    match items {
        [] => None,
        [one] => Some(one.clone()),
        [init @ .., last] => Some(format!("{} and {last}", init.join(", "))),
    }
}
