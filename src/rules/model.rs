//! The rule file format: one TOML file per rule under `rules/diagnoses/`, read strictly.
//!
//! This module owns the serde shapes of a rule file (unknown keys are errors) and their
//! validation after parsing (ids, regexes, placeholders, fix ids). It does not match evidence
//! (`matching`) nor render fixes (`render`).

use serde::{Deserialize, Serialize};

use crate::evidence::{CauseKind, FhsLoaderKind, LoaderFlavor, Platform, PythonKind};

/// One rule as written in its file. Also the shape `pydoctor rules ID --format json` shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDoc {
    /// Stable id, `PD` and three digits; never renamed, never reused.
    pub id: String,
    /// A kebab-case name saying what the rule is about.
    pub name: String,
    /// The cause kind of the findings this rule explains (and of its diagnosis).
    pub kind: CauseKind,
    #[serde(default)]
    pub status: RuleStatus,
    /// Higher wins when several rules could explain the same finding: environment-specific
    /// rules carry a higher priority than generic ones.
    #[serde(default)]
    pub priority: i32,
    /// One line, a template (`{libraries} cannot be found by the Nix loader`).
    pub summary: String,
    /// Why this happens (plain paragraphs, inline `code`), a template.
    pub explanation: String,
    /// Conditions over the evidence; all must hold.
    #[serde(default)]
    pub when: Condition,
    /// The fixes, best first.
    #[serde(default, rename = "fix", skip_serializing_if = "Vec::is_empty")]
    pub fixes: Vec<FixTemplate>,
    /// Evidence that must match this rule (and be diagnosed by it first) or must not match.
    #[serde(default, rename = "example", skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<Example>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleStatus {
    #[default]
    Active,
    /// Kept so its id is never reused; never matched.
    Removed,
}

impl RuleStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleStatus::Active => "active",
            RuleStatus::Removed => "removed",
        }
    }
}

/// What `/lib64/ld-linux-x86-64.so.2` is, with `unknown` for "not known" (a paste).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FhsLoaderState {
    NixLd,
    StubLd,
    Glibc,
    Absent,
    Other,
    Unknown,
}

impl FhsLoaderState {
    pub fn as_str(self) -> &'static str {
        match self {
            FhsLoaderState::NixLd => "nix-ld",
            FhsLoaderState::StubLd => "stub-ld",
            FhsLoaderState::Glibc => "glibc",
            FhsLoaderState::Absent => "absent",
            FhsLoaderState::Other => "other",
            FhsLoaderState::Unknown => "unknown",
        }
    }

    pub fn of(kind: Option<FhsLoaderKind>) -> FhsLoaderState {
        match kind {
            Some(FhsLoaderKind::NixLd) => FhsLoaderState::NixLd,
            Some(FhsLoaderKind::StubLd) => FhsLoaderState::StubLd,
            Some(FhsLoaderKind::Glibc) => FhsLoaderState::Glibc,
            Some(FhsLoaderKind::Absent) => FhsLoaderState::Absent,
            Some(FhsLoaderKind::Other) => FhsLoaderState::Other,
            None => FhsLoaderState::Unknown,
        }
    }

    pub fn kind(self) -> Option<FhsLoaderKind> {
        match self {
            FhsLoaderState::NixLd => Some(FhsLoaderKind::NixLd),
            FhsLoaderState::StubLd => Some(FhsLoaderKind::StubLd),
            FhsLoaderState::Glibc => Some(FhsLoaderKind::Glibc),
            FhsLoaderState::Absent => Some(FhsLoaderKind::Absent),
            FhsLoaderState::Other => Some(FhsLoaderKind::Other),
            FhsLoaderState::Unknown => None,
        }
    }
}

/// Conditions over the evidence. Lists mean "one of"; an absent key means "any".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub python_kind: Vec<PythonKind>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub loader_flavor: Vec<LoaderFlavor>,
    /// Whether the machine runs NixOS; an unknown OS matches neither value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nixos: Option<bool>,
    /// Whether Nix is involved: python comes from the Nix store or the machine runs NixOS
    /// (`false`: neither is known to be so).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nix: Option<bool>,
    /// What `/lib64/ld-linux-x86-64.so.2` is (nix-ld, stub-ld, glibc, absent, other, unknown).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fhs_loader: Vec<FhsLoaderState>,
    /// Whether the interpreter runs in a venv.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub venv: Option<bool>,
    /// Whether `LD_LIBRARY_PATH` is set and not empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ld_library_path: Option<bool>,
    /// Regex over the finding's library (soname, version, symbol or module).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub library: Option<String>,
    /// Regex over the path of the file that needs it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_by: Option<String>,
    /// Regex over the failure's root message (when there is a failure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The operating system (`linux`, `windows`, `macos`); an unknown one counts as Linux,
    /// the only system pydoctor runs on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platform: Vec<Platform>,
    /// Whether the failing code is a Nix-built application in the store (`python.nix_app`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nix_app: Option<bool>,
    /// The tool that made the venv (`python.venv_tool`: `uv`, `poetry`, `conda` …); one of.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub venv_tool: Vec<String>,
    /// `true`: the rule explains advisory (latent) findings only, and its diagnosis is
    /// advisory: the import works today. Otherwise it explains failures only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latent: Option<bool>,
    /// How the loader found the finding's provider (`ld_library_path`, `rpath` …); one of.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub provider_via: Vec<String>,
    /// The tool that set up the shell (`shell.tool`: `devenv`, `direnv`, `nix-shell`); one
    /// of. `none` matches a shell no tool is known for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shell_tool: Vec<String>,
    /// The module the Jupyter kernel's python lacks is installed in another python of this
    /// shell (`kernel.module_found_in`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel_module_elsewhere: Option<bool>,
    /// That other python has ipykernel (`kernel.module_found_in_has_ipykernel`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel_ipykernel: Option<bool>,
    /// A `--user` kernelspec of the kernel's name would replace it (`kernel.user_overrides`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel_user_overrides: Option<bool>,
    /// The finding is of an import that did not finish in time (it carries its time limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timed_out: Option<bool>,
    /// A stub `libcuda.so.1` (from a `stubs` dir) is what the loader finds (`check --cuda`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cuda_stub: Option<bool>,
    /// NixOS's driver dir `/run/opengl-driver/lib` holds `libcuda.so.1` (`check --cuda`;
    /// unknown without it, which matches neither value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cuda_driver_dir: Option<bool>,
    /// A store package built for this python holds the module that did not import
    /// (`store_module.store`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module_in_store: Option<bool>,
    /// The `withPackages` env the venv was made from holds the module, and the venv does not
    /// see it (`store_module.in_env`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module_in_env: Option<bool>,
    /// The store holds the missing module only for other Python versions
    /// (`store_module.other_pythons`, and nothing for this one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module_other_python: Option<bool>,
}

impl Condition {
    pub fn is_empty(&self) -> bool {
        self == &Condition::default()
    }
}

/// How a fix can be checked before it is shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlanKind {
    /// Nothing to re-resolve (a reinstall, a pin, a `cd`).
    #[default]
    None,
    /// Adds the missing libraries' directories through `LD_LIBRARY_PATH`.
    LibraryDirs,
    /// Adds them to nix-ld's library list (`NIX_LD_LIBRARY_PATH`).
    NixLdLibraries,
    /// Adds them to the files' rpath (fix-python, patchelf).
    Rpath,
    /// Makes the env a venv was made from visible to it: checked by importing with the env's
    /// site-packages added (`store_module.imports`).
    EnvSitePackages,
    /// Puts NixOS's driver dir on the search path: checked by resolving the driver's libraries
    /// again with it (`cuda.driver_dir_resolves`).
    DriverDir,
    /// Adds the module's store package and its Python dependencies to the python's env: checked
    /// by importing with their site-packages added; the env itself is not rebuilt (partial).
    StorePackages,
}

impl PlanKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PlanKind::None => "none",
            PlanKind::LibraryDirs => "library-dirs",
            PlanKind::NixLdLibraries => "nix-ld-libraries",
            PlanKind::Rpath => "rpath",
            PlanKind::DriverDir => "driver-dir",
            PlanKind::EnvSitePackages => "env-site-packages",
            PlanKind::StorePackages => "store-packages",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixTemplate {
    /// From the fix id vocabulary ([`FIX_IDS`]).
    pub id: String,
    pub title: String,
    /// Copy-pasteable text, a template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
    /// Why this fix, or why not first, a template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default)]
    pub plan: PlanKind,
    /// Extra conditions for offering this fix at all.
    #[serde(default, skip_serializing_if = "Condition::is_empty")]
    pub when: Condition,
    /// What the snippet is written in: shell lines are checked for programs and paths.
    #[serde(default, skip_serializing_if = "SnippetLang::is_shell")]
    pub lang: SnippetLang,
    /// The fix deletes, clears or recreates something: offered only when `check` has seen
    /// the thing fail on this machine, never from pasted text alone.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub destructive: bool,
    /// For `{venv_recreate}`: the command that makes the new venv, a template (default: the
    /// venv's own tool on its base python, `--clear`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recreate_with: Option<String>,
}

/// The language of a fix's snippet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SnippetLang {
    /// Every line is a shell command.
    #[default]
    Shell,
    /// Nix code (configuration.nix, shell.nix); lines after a `# then …` comment are shell.
    Nix,
}

impl SnippetLang {
    pub fn is_shell(&self) -> bool {
        *self == SnippetLang::Shell
    }
}

/// Evidence written by hand inside a rule file; a test runs the rule against it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    pub name: String,
    /// `true`: the rule explains this evidence (and the built-in database diagnoses it with
    /// this rule first); `false`: the rule does not match.
    #[serde(rename = "match")]
    pub matches: bool,
    #[serde(default)]
    pub python_kind: PythonKind,
    #[serde(default)]
    pub loader_flavor: LoaderFlavor,
    #[serde(default)]
    pub nixos: Option<bool>,
    #[serde(default = "unknown_loader")]
    pub fhs_loader: FhsLoaderState,
    #[serde(default)]
    pub executable: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub venv: Option<String>,
    #[serde(default)]
    pub ld_library_path: Vec<String>,
    /// The failure's root message.
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub module: Option<String>,
    #[serde(default)]
    pub platform: Option<Platform>,
    #[serde(default)]
    pub nix_app: Option<String>,
    #[serde(default)]
    pub venv_tool: Option<String>,
    /// `shell.tool`.
    #[serde(default)]
    pub shell_tool: Option<String>,
    /// `shell.file`.
    #[serde(default)]
    pub shell_file: Option<String>,
    /// `kernel.name`, `kernel.module_found_in`, `kernel.module_found_in_has_ipykernel`.
    #[serde(default)]
    pub kernel: Option<String>,
    #[serde(default)]
    pub kernel_module_python: Option<String>,
    #[serde(default)]
    pub kernel_ipykernel: Option<bool>,
    #[serde(default)]
    pub kernel_user_overrides: Option<bool>,
    /// `cuda` facts: a stub libcuda is found (`stub`), the driver dir holds libcuda.
    #[serde(default)]
    pub cuda_stub: Option<bool>,
    #[serde(default)]
    pub cuda_driver_dir: Option<bool>,
    /// `nix_env.path`: the `withPackages` env of the python (or of the venv's base).
    #[serde(default)]
    pub nix_env: Option<String>,
    /// `store_module`: the store package that holds the missing module (it imports).
    #[serde(default)]
    pub store_module: Option<String>,
    /// `store_module.in_env`: the venv's base env holds the missing module.
    #[serde(default)]
    pub module_in_env: Option<bool>,
    /// `store_module.other_pythons`: Python versions whose store packages hold it.
    #[serde(default)]
    pub module_other_pythons: Vec<String>,
    #[serde(rename = "finding")]
    pub findings: Vec<ExampleFinding>,
}

fn unknown_loader() -> FhsLoaderState {
    FhsLoaderState::Unknown
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExampleFinding {
    pub kind: CauseKind,
    #[serde(default)]
    pub library: Option<String>,
    #[serde(default)]
    pub required_by: Option<String>,
    #[serde(default)]
    pub provider: Option<String>,
    #[serde(default)]
    pub newest_available: Option<String>,
    #[serde(default)]
    pub provider_via: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stuck_at: Option<String>,
    #[serde(default)]
    pub latent: bool,
}

/// The fix id vocabulary (docs/json.md), extended with the two executable-stack workarounds.
/// Ids are never renamed.
pub const FIX_IDS: &[&str] = &[
    "nix-ld",
    "fix-python",
    "fhs-env",
    "nixpkgs-python",
    "ld-library-path",
    "uv-python",
    "pyenv-python",
    "lang2nix",
    "distro-package",
    "reinstall-package",
    "pin-numpy",
    "leave-source-tree",
    "activate-venv",
    "glibc-tunable",
    "clear-execstack",
    "platform-runtime",
    "nix-ld-variable",
    "devenv-libraries",
    "kernel-python",
    "hardware-graphics",
    "driver-runpath",
    "drop-stub-dir",
    "venv-system-site-packages",
];
