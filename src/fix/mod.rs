//! `pydoctor fix`'s core: the contained fix a diagnosis allows (`plan`), the start-up preload
//! that applies it inside the venv (`preload`), the manifest that records every change
//! (`manifest`), applying and undoing it crash-safely (`apply`) and pinning the store paths it
//! uses (`pin`). It does not diagnose (`commands::check` does) and never prints.

pub mod apply;
pub mod manifest;
pub mod pin;
pub mod plan;
pub mod preload;

use serde::{Deserialize, Serialize};

use manifest::{FileChange, Library};
use pin::Pin;

/// What `fix` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FixAction {
    /// Written, proven by a fresh import, kept.
    Applied,
    /// Every module imports already, and this venv holds an earlier fix.
    AlreadyFixed,
    /// Every module imports and nothing is wrong.
    NothingToFix,
    /// `--dry-run`: the plan, nothing written.
    DryRun,
    /// No contained fix for this set-up; the fix to apply by hand is shown.
    CannotApply,
    /// Written, but the import still failed: everything was taken back.
    RolledBack,
    /// `--undo`: the venv is as it was before the fix.
    Undone,
    /// `--undo` on a venv without a fix.
    NothingToUndo,
}

/// One module imported again in a fresh process after the fix was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleImport {
    pub module: String,
    pub ok: bool,
    /// The root error's first line, when it failed.
    pub error: Option<String>,
}

/// A line that makes the same fix permanent in the user's own configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Declarative {
    /// `mkShell`, `devenv`.
    pub tool: String,
    pub snippet: String,
}

/// The `fix` member of the report (JSON contract: fields are only added).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixOutcome {
    pub action: FixAction,
    /// `<venv>/.pydoctor-fix/manifest.json` (where it is or was).
    pub manifest: Option<String>,
    pub venv: Option<String>,
    /// The libraries the preload loads.
    pub libraries: Vec<Library>,
    /// Every file written (or, for undo, removed), with its hash before and after.
    pub changes: Vec<FileChange>,
    /// The fresh imports that proved (or disproved) the fix; empty when none ran.
    pub verification: Vec<ModuleImport>,
    pub pins: Vec<Pin>,
    pub declarative: Vec<Declarative>,
    /// Why it could not be applied, or why it was rolled back.
    pub reason: Option<String>,
    /// What happened to an earlier fix first: rolled back because it was interrupted, or
    /// replaced because it no longer worked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovered: Option<String>,
    /// When the venv's fix was made (`already-fixed`, `undone`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_on: Option<String>,
}

impl FixOutcome {
    pub fn new(action: FixAction) -> FixOutcome {
        FixOutcome {
            action,
            manifest: None,
            venv: None,
            libraries: Vec::new(),
            changes: Vec::new(),
            verification: Vec::new(),
            pins: Vec::new(),
            declarative: Vec::new(),
            reason: None,
            recovered: None,
            fixed_on: None,
        }
    }
}

/// The lines that make the fix permanent: a Nix shell's search path, or devenv's option.
pub fn declarative(attrs: &[String]) -> Vec<Declarative> {
    if attrs.is_empty() {
        return Vec::new();
    }
    let list = attrs.join(" ");
    vec![
        Declarative {
            tool: "mkShell".into(),
            snippet: format!("LD_LIBRARY_PATH = lib.makeLibraryPath [ {list} ];"),
        },
        Declarative {
            tool: "devenv".into(),
            snippet: format!("languages.python.libraries = with pkgs; [ {list} ];"),
        },
    ]
}
