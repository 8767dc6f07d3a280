//! Who made a virtual environment, and what it can install with: the facts a fix needs to
//! speak the venv's own tooling (`uv pip install --python …` in a uv venv, which has no pip).
//!
//! Read from the venv directory alone: `pyvenv.cfg` keys (`uv = …`, `virtualenv = …`), the
//! project files beside an in-project venv (`poetry.lock`, `pdm.lock`), `conda-meta/`, and
//! whether pip is installed. Judges nothing.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// The tool that created the venv.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VenvTool {
    Uv,
    Poetry,
    Pdm,
    Virtualenv,
    Venv,
    Conda,
}

impl VenvTool {
    pub fn as_str(self) -> &'static str {
        match self {
            VenvTool::Uv => "uv",
            VenvTool::Poetry => "poetry",
            VenvTool::Pdm => "pdm",
            VenvTool::Virtualenv => "virtualenv",
            VenvTool::Venv => "venv",
            VenvTool::Conda => "conda",
        }
    }
}

/// What a venv directory says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VenvFacts {
    pub tool: VenvTool,
    /// pip is installed in the venv (a uv venv, or one made `--without-pip`, has none).
    pub has_pip: bool,
    /// `bin/python` is a real file, not a symlink (`--copies`): fix-python can patch it.
    pub copies: bool,
}

pub fn describe(venv: &Path) -> VenvFacts {
    let cfg = std::fs::read_to_string(venv.join("pyvenv.cfg")).unwrap_or_default();
    VenvFacts {
        tool: tool(venv, &cfg),
        has_pip: has_pip(venv),
        copies: std::fs::symlink_metadata(venv.join("bin/python"))
            .is_ok_and(|m| m.file_type().is_file()),
    }
}

fn cfg_has_key(cfg: &str, name: &str) -> bool {
    cfg.lines()
        .filter_map(|l| l.split_once('='))
        .any(|(k, _)| k.trim() == name)
}

fn tool(venv: &Path, cfg: &str) -> VenvTool {
    if venv.join("conda-meta").is_dir() {
        return VenvTool::Conda;
    }
    if cfg_has_key(cfg, "uv") {
        return VenvTool::Uv;
    }
    // poetry keeps its venvs in its cache (`…/pypoetry/virtualenvs/`) or in the project.
    let text = venv.to_string_lossy();
    let project = venv.parent();
    let beside = |name: &str| project.is_some_and(|p| p.join(name).exists());
    if text.contains("/pypoetry/virtualenvs/") || beside("poetry.lock") {
        return VenvTool::Poetry;
    }
    if beside("pdm.lock") || beside(".pdm-python") {
        return VenvTool::Pdm;
    }
    if cfg_has_key(cfg, "virtualenv") {
        VenvTool::Virtualenv
    } else {
        VenvTool::Venv
    }
}

fn has_pip(venv: &Path) -> bool {
    if venv.join("bin/pip").exists() {
        return true;
    }
    let Ok(libs) = std::fs::read_dir(venv.join("lib")) else {
        return false;
    };
    libs.flatten()
        .any(|d| d.path().join("site-packages/pip/__init__.py").is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn venv(dir: &Path, cfg: &str) {
        std::fs::create_dir_all(dir.join("bin")).unwrap();
        std::fs::write(dir.join("pyvenv.cfg"), cfg).unwrap();
    }

    #[test]
    fn the_creator_is_read_from_pyvenv_cfg_and_the_project() {
        let t = tempfile::tempdir().unwrap();
        let uv = t.path().join("a/.venv");
        venv(&uv, "home = /usr/bin\nuv = 0.13.9\nversion_info = 3.11.7\n");
        let facts = describe(&uv);
        assert_eq!(facts.tool, VenvTool::Uv);
        assert!(!facts.has_pip);

        let poetry = t.path().join("b/.venv");
        venv(&poetry, "home = /usr/bin\nvirtualenv = 20.25.0\n");
        std::fs::write(t.path().join("b/poetry.lock"), "").unwrap();
        assert_eq!(describe(&poetry).tool, VenvTool::Poetry);

        let plain = t.path().join("c/.venv");
        venv(&plain, "home = /usr/bin\nversion = 3.11.2\n");
        let pip = plain.join("lib/python3.11/site-packages/pip");
        std::fs::create_dir_all(&pip).unwrap();
        std::fs::write(pip.join("__init__.py"), "").unwrap();
        let facts = describe(&plain);
        assert_eq!((facts.tool, facts.has_pip), (VenvTool::Venv, true));
    }
}
