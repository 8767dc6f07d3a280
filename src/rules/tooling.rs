//! The install, freeze and venv commands a fix shows, in the venv's own tooling: a venv made
//! by uv has no pip, so `python -m pip install` would not run there; `uv pip install --python
//! …` does. A venv without pip and without uv on this machine gets `ensurepip` first.

use crate::evidence::PythonFacts;

/// How packages get into this python.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Installer {
    /// `<python> -m pip …`; `ensure` when pip must be bootstrapped first.
    Pip { python: String, ensure: bool },
    /// `uv pip … --python <python>`.
    Uv { python: String },
}

impl Installer {
    /// The tool for this python: uv for a uv venv, pip where it is installed, else uv when
    /// it is on this machine, else pip after `ensurepip`.
    pub fn for_python(facts: &PythonFacts, uv_here: bool) -> Installer {
        let python = facts.executable.clone().unwrap_or("python3".into());
        let has_pip = facts.venv_has_pip.unwrap_or(true);
        match facts.venv_tool.as_deref() {
            Some("uv") => Installer::Uv { python },
            _ if has_pip => Installer::Pip {
                python,
                ensure: false,
            },
            _ if uv_here => Installer::Uv { python },
            _ => Installer::Pip {
                python,
                ensure: true,
            },
        }
    }

    fn pip(&self, subcommand: &str) -> String {
        match self {
            Installer::Pip { python, ensure } => {
                let first = if *ensure {
                    format!("{python} -m ensurepip && ")
                } else {
                    String::new()
                };
                format!("{first}{python} -m pip {subcommand}")
            }
            Installer::Uv { python } => format!("uv pip {subcommand} --python {python}"),
        }
    }

    pub fn install(&self) -> String {
        self.pip("install")
    }

    /// Install again, bypassing what is installed and the cache.
    pub fn reinstall(&self) -> String {
        match self {
            Installer::Pip { .. } => {
                format!("{} --force-reinstall --no-cache-dir", self.pip("install"))
            }
            Installer::Uv { .. } => format!("{} --reinstall --no-cache", self.pip("install")),
        }
    }

    pub fn freeze(&self) -> String {
        self.pip("freeze")
    }

    pub fn check(&self) -> String {
        self.pip("check")
    }

    /// Make (or, with `clear`, empty and remake) the venv at `venv` from `base`.
    pub fn create_venv(&self, base: &str, venv: &str, clear: bool) -> String {
        let clear = if clear { " --clear" } else { "" };
        match self {
            Installer::Pip { .. } => format!("{base} -m venv{clear} {venv}"),
            Installer::Uv { .. } => format!("uv venv{clear} --python {base} {venv}"),
        }
    }

    /// The same installer for the python of a fresh venv at `venv`.
    fn in_venv(&self, venv: &str) -> Installer {
        let python = format!("{venv}/bin/python");
        match self {
            Installer::Pip { .. } => Installer::Pip {
                python,
                ensure: false,
            },
            Installer::Uv { .. } => Installer::Uv { python },
        }
    }

    /// Recreate `venv` from `base` and carry its packages over. Each step runs only if the
    /// one before succeeded, and the venv is cleared only once a non-empty package list is on
    /// disk beside it. `from_files` lists the packages from the venv's `*.dist-info`
    /// directories instead of asking its python (for a python that cannot start).
    pub fn recreate_venv(&self, base: &str, venv: &str, from_files: bool) -> String {
        self.recreate_venv_with(&self.create_venv(base, venv, true), venv, from_files)
    }

    /// The same, with `create` as the command that makes the new venv (a uv-managed or a
    /// nixpkgs python instead of the base). The packages go in with the new venv's python.
    pub fn recreate_venv_with(&self, create: &str, venv: &str, from_files: bool) -> String {
        let list = format!("{venv}.requirements.txt");
        let freeze = if from_files {
            format!(
                "for d in {venv}/lib/python*/site-packages/*.dist-info; do [ -d \"$d\" ] || continue; n=${{d##*/}}; n=${{n%.dist-info}}; echo \"${{n%%-*}}==${{n#*-}}\"; done > {list}"
            )
        } else {
            format!("{} > {list}", self.freeze())
        };
        [
            freeze,
            format!("test -s {list}"),
            create.to_string(),
            format!("{} -r {list}", self.in_venv(venv).install()),
        ]
        .join(" \\\n  && ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::venv::VenvTool;

    fn facts(tool: Option<VenvTool>, has_pip: Option<bool>) -> PythonFacts {
        let tool = tool.map(|t| t.as_str().to_string());
        PythonFacts {
            executable: Some("/p/.venv/bin/python".into()),
            venv: Some("/p/.venv".into()),
            venv_tool: tool,
            venv_has_pip: has_pip,
            ..PythonFacts::default()
        }
    }

    #[test]
    fn a_uv_venv_is_spoken_to_with_uv() {
        let i = Installer::for_python(&facts(Some(VenvTool::Uv), Some(false)), false);
        assert_eq!(
            i.reinstall(),
            "uv pip install --python /p/.venv/bin/python --reinstall --no-cache"
        );
        assert_eq!(i.freeze(), "uv pip freeze --python /p/.venv/bin/python");
    }

    #[test]
    fn a_venv_without_pip_bootstraps_it_unless_uv_is_here() {
        let f = facts(Some(VenvTool::Venv), Some(false));
        assert!(matches!(
            Installer::for_python(&f, true),
            Installer::Uv { .. }
        ));
        assert_eq!(
            Installer::for_python(&f, false).install(),
            "/p/.venv/bin/python -m ensurepip && /p/.venv/bin/python -m pip install"
        );
    }

    #[test]
    fn recreating_stops_before_clearing_when_the_list_is_empty() {
        let i = Installer::for_python(&facts(Some(VenvTool::Uv), Some(false)), true);
        let recipe = i.recreate_venv("/base/bin/python3.11", "/p/.venv", false);
        let steps: Vec<&str> = recipe.split(" \\\n  && ").collect();
        assert_eq!(
            steps,
            [
                "uv pip freeze --python /p/.venv/bin/python > /p/.venv.requirements.txt",
                "test -s /p/.venv.requirements.txt",
                "uv venv --clear --python /base/bin/python3.11 /p/.venv",
                "uv pip install --python /p/.venv/bin/python -r /p/.venv.requirements.txt",
            ]
        );
    }
}
