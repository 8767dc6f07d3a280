//! The evidence every source produces and the rules consume.
//!
//! This module owns the shared vocabulary of the pipeline (cause kinds, the parsed failure,
//! findings, environment facts). Sources (`source/`, `loader/`, `env/`) fill an [`Evidence`];
//! `rules/` reads it and never looks at the machine itself. Nothing here prints.
//!
//! The serde shapes of these types are part of the JSON contract (docs/json.md, version 1):
//! fields may be added, never renamed.

use serde::{Deserialize, Serialize};

mod identity;
pub use identity::{FindingKey, FindingSet, merge_text_and_loader};

/// What went wrong, in the fixed vocabulary of docs/json.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CauseKind {
    MissingSharedLibrary,
    GlibcVersionTooOld,
    LibstdcxxVersionTooOld,
    UndefinedSymbol,
    PythonAbiMismatch,
    NumpyAbiMismatch,
    SourceTreeShadowing,
    ModuleNotFound,
    WrongElfClass,
    MuslGlibcMismatch,
    ExecutableStack,
    IllegalInstruction,
    InterpreterCannotStart,
    Unknown,
}

impl CauseKind {
    pub const ALL: [CauseKind; 14] = [
        CauseKind::MissingSharedLibrary,
        CauseKind::GlibcVersionTooOld,
        CauseKind::LibstdcxxVersionTooOld,
        CauseKind::UndefinedSymbol,
        CauseKind::PythonAbiMismatch,
        CauseKind::NumpyAbiMismatch,
        CauseKind::SourceTreeShadowing,
        CauseKind::ModuleNotFound,
        CauseKind::WrongElfClass,
        CauseKind::MuslGlibcMismatch,
        CauseKind::ExecutableStack,
        CauseKind::IllegalInstruction,
        CauseKind::InterpreterCannotStart,
        CauseKind::Unknown,
    ];

    /// The kebab-case name used in JSON and in rule files.
    pub fn as_str(self) -> &'static str {
        match self {
            CauseKind::MissingSharedLibrary => "missing-shared-library",
            CauseKind::GlibcVersionTooOld => "glibc-version-too-old",
            CauseKind::LibstdcxxVersionTooOld => "libstdcxx-version-too-old",
            CauseKind::UndefinedSymbol => "undefined-symbol",
            CauseKind::PythonAbiMismatch => "python-abi-mismatch",
            CauseKind::NumpyAbiMismatch => "numpy-abi-mismatch",
            CauseKind::SourceTreeShadowing => "source-tree-shadowing",
            CauseKind::ModuleNotFound => "module-not-found",
            CauseKind::WrongElfClass => "wrong-elf-class",
            CauseKind::MuslGlibcMismatch => "musl-glibc-mismatch",
            CauseKind::ExecutableStack => "executable-stack",
            CauseKind::IllegalInstruction => "illegal-instruction",
            CauseKind::InterpreterCannotStart => "interpreter-cannot-start",
            CauseKind::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<CauseKind> {
        CauseKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl std::fmt::Display for CauseKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One frame of a traceback: `File "path", line N, in func`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Frame {
    pub file: String,
    pub line: Option<u32>,
    pub function: Option<String>,
}

/// One exception of a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainLink {
    /// `ImportError`, `numpy.core._exceptions._ArrayMemoryError`, `OSError` …
    #[serde(rename = "type")]
    pub exc_type: String,
    /// The whole message, possibly several lines.
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub frames: Vec<Frame>,
}

/// A wrapper message that hid the real cause, and what it hid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Misleading {
    /// The id of the `rules/messages.toml` entry that recognised it.
    pub id: String,
    /// The first line of what the user was shown.
    pub shown: String,
    /// What was really wrong: the root link's text, or a note that the paste lacks it.
    pub hidden_cause: String,
    /// True when the chain in hand does not contain the real cause (pandas flattens it).
    #[serde(default)]
    pub root_missing: bool,
}

/// The failure as seen (from a paste, or from the probe's structured record).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// Root cause first, outermost wrapper last.
    pub chain: Vec<ChainLink>,
    pub misleading: Vec<Misleading>,
    /// The error text as the user saw it (for the report), bounded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_text: Option<String>,
}

impl Failure {
    pub fn root(&self) -> Option<&ChainLink> {
        self.chain.first()
    }
}

/// Where a finding came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingSource {
    /// Read from error text (a paste, or the import's own output).
    Text,
    /// Derived by resolving ELF files the way the loader would.
    Elf,
    /// Observed by running the interpreter.
    Probe,
}

/// One fact that a diagnosis can stand on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub kind: CauseKind,
    pub source: FindingSource,
    /// The soname (`libstdc++.so.6`), or for version kinds the version (`GLIBCXX_3.4.30`),
    /// or the symbol for `undefined-symbol`, or the module for `module-not-found`.
    pub library: Option<String>,
    /// The file that needs it (the referencing object for undefined symbols).
    pub required_by: Option<String>,
    /// For version kinds: the library that was found but lacks the version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// For version kinds: the newest version that provider has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newest_available: Option<String>,
    /// For version kinds: how the loader found the provider (`rpath`, `runpath`,
    /// `ld_library_path`, `ld.so.cache`, `default-dir`, `already-loaded`, `direct-path`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_via: Option<String>,
    /// For missing libraries: every directory the loader would try, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tried: Vec<String>,
    /// For an import that timed out: the time limit the import outlived, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<u64>,
    /// For an import that timed out: where the import was when time ran out (`line 3 of /x/m.py`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stuck_at: Option<String>,
    /// One human line: what the evidence says.
    pub detail: String,
    /// True for advisory findings that do not make the import fail today
    /// (a library found only through LD_LIBRARY_PATH, or only because it was already loaded).
    #[serde(default)]
    pub latent: bool,
}

impl Finding {
    pub fn new(kind: CauseKind, source: FindingSource, detail: impl Into<String>) -> Finding {
        Finding {
            kind,
            source,
            library: None,
            required_by: None,
            provider: None,
            newest_available: None,
            provider_via: None,
            tried: Vec::new(),
            timeout_seconds: None,
            stuck_at: None,
            detail: detail.into(),
            latent: false,
        }
    }

    pub fn library(mut self, library: impl Into<String>) -> Finding {
        self.library = Some(library.into());
        self
    }

    pub fn required_by(mut self, path: impl Into<String>) -> Finding {
        self.required_by = Some(path.into());
        self
    }
}

/// How the environment facts were obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum EnvSource {
    Probed,
    #[default]
    InferredFromText,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum PythonKind {
    NixStore,
    Pyenv,
    UvManaged,
    Conda,
    System,
    #[default]
    Unknown,
}

impl PythonKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PythonKind::NixStore => "nix-store",
            PythonKind::Pyenv => "pyenv",
            PythonKind::UvManaged => "uv-managed",
            PythonKind::Conda => "conda",
            PythonKind::System => "system",
            PythonKind::Unknown => "unknown",
        }
    }
}

/// The loader's flavour is the loader's type; the vocabulary re-exports it.
pub use crate::loader::LoaderFlavor;

/// Which operating system the failure happened on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Platform {
    Linux,
    Windows,
    Macos,
}

impl Platform {
    pub const ALL: [Platform; 3] = [Platform::Linux, Platform::Windows, Platform::Macos];

    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Linux => "linux",
            Platform::Windows => "windows",
            Platform::Macos => "macos",
        }
    }

    pub fn parse(s: &str) -> Option<Platform> {
        Platform::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsFacts {
    pub nixos: Option<bool>,
    /// The operating system, when known (a paste's DLL or dyld message, its paths). Absent
    /// when probed: pydoctor runs on Linux.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    /// The machine architecture the text names (`x86_64`, `aarch64`, `arm64`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// The distribution family the paths point to (`debian`: `/usr/lib/python3/dist-packages`,
    /// `/usr/lib/x86_64-linux-gnu`; `fedora`: `/usr/lib64`; `alpine`: musl; `nixos`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distro: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PythonFacts {
    pub executable: Option<String>,
    pub version: Option<String>,
    pub kind: PythonKind,
    pub venv: Option<String>,
    pub loader: Option<String>,
    pub loader_flavor: LoaderFlavor,
    /// The venv's base interpreter prefix (pyvenv.cfg `home`, or sys.base_prefix).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_prefix: Option<String>,
    /// The nixpkgs attribute of this python, when it can be told (`python312`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nix_attribute: Option<String>,
    /// The tool that made or runs the venv (`uv`, `poetry`, `pdm`, `virtualenv`, `venv`,
    /// `conda`; from text also `pipenv`, `hatch`, `tox`), when there is a venv.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub venv_tool: Option<String>,
    /// Whether pip is installed in the venv (a uv venv has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub venv_has_pip: Option<bool>,
    /// Whether the venv's `bin/python` is a copy rather than a symlink (`--copies`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub venv_copies: Option<bool>,
    /// An application built by Nix whose own store path holds the failing code
    /// (`/nix/store/…-python3.10-someapp-1.0`): its dependencies are fixed by its Nix
    /// expression, not by pip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nix_app: Option<String>,
}

/// What `/lib64/ld-linux-x86-64.so.2` really is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FhsLoaderKind {
    NixLd,
    StubLd,
    Glibc,
    Absent,
    Other,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NixLdFacts {
    /// True when `/lib64/ld-linux-x86-64.so.2` is the nix-ld shim.
    pub shim: Option<bool>,
    /// `$NIX_LD`.
    pub nix_ld: Option<String>,
    /// `$NIX_LD_LIBRARY_PATH`, split.
    pub library_path: Vec<String>,
    /// What the FHS loader path is (nix-ld, stub-ld, a real glibc loader, absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fhs_loader: Option<FhsLoaderKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fhs_loader_target: Option<String>,
}

/// The environment block of the JSON contract.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Environment {
    pub source: EnvSource,
    pub os: OsFacts,
    pub python: PythonFacts,
    pub nix_ld: NixLdFacts,
    pub ld_library_path: Vec<String>,
    /// `$IN_NIX_SHELL` ("pure"/"impure") when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_nix_shell: Option<String>,
    /// The Nix store directory (`$NIX_STORE_DIR`, default `/nix/store`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_dir: Option<String>,
    /// The tool that set up this shell (devenv, direnv, nix-shell), where it can be told.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shell: Option<ShellFacts>,
    /// The Jupyter kernel whose python was checked (`check --kernel NAME`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel: Option<KernelFacts>,
    /// The CUDA libraries as the package's loader would find them (`check --cuda`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cuda: Option<CudaFacts>,
}

/// Where the NVIDIA driver's and the CUDA runtime's libraries come from for a package.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CudaFacts {
    /// `libcuda.so.1`, `libnvidia-ml.so.1`, and each `libcudart.so.*` the package's files need.
    pub libraries: Vec<CudaLibrary>,
    /// The dir where NixOS puts the driver's libraries (`/run/opengl-driver/lib`).
    pub driver_dir: String,
    pub driver_dir_exists: bool,
    /// Whether that dir holds `libcuda.so.1`.
    pub driver_dir_has_libcuda: bool,
    /// Stub `libcuda` copies (in a `stubs` dir) on LD_LIBRARY_PATH.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stubs: Vec<CudaStub>,
    /// The kernel module's version, from `/proc/driver/nvidia/version`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver_version: Option<String>,
}

/// One CUDA library, searched for the way the loader would search for it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CudaLibrary {
    pub soname: String,
    /// The object whose search this is: the file that needs it, or that would dlopen it.
    pub requested_by: String,
    /// `needed` (DT_NEEDED of `requested_by`) or `dlopen` (loaded at run time).
    pub how: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub found_via: Option<crate::loader::report::FoundVia>,
    /// The dirs searched, in order, when it is not found.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tried: Vec<String>,
    /// The file found is a stub (from a `stubs` dir), not the driver's library.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stub: bool,
}

/// A stub `libcuda` on LD_LIBRARY_PATH, and the real library it hides.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CudaStub {
    pub path: String,
    /// Its LD_LIBRARY_PATH entry.
    pub dir: String,
    /// The non-stub `libcuda.so.1` the loader would find without it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shadows: Option<String>,
}

/// A Jupyter kernel as its kernelspec defines it, and where else the module is installed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KernelFacts {
    /// The kernel's name (`python3`, `ml`).
    pub name: String,
    /// Its `kernel.json`.
    pub spec: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// `argv[0]` of the kernelspec, as written.
    pub argv0: String,
    /// The variables the kernelspec's `env` sets for the kernel (names only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<String>,
    /// Another python of this shell (the venv, `python3` on PATH) that has the module the
    /// kernel's python lacks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module_found_in: Option<String>,
    /// Whether that python has ipykernel (needed to register it as a kernel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module_found_in_has_ipykernel: Option<bool>,
    /// A kernelspec of this name installed with `--user` would replace this one (false when
    /// the kernel comes from `JUPYTER_PATH`, which Jupyter searches first).
    #[serde(default)]
    pub user_overrides: bool,
}

/// What set up the shell pydoctor runs in: the tool, and the file that configures it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShellFacts {
    /// `devenv`, `direnv` or `nix-shell`.
    pub tool: String,
    /// The file that configures it (`…/devenv.nix`, `…/.envrc`, `…/shell.nix`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

/// Everything the rules get to see.
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    pub environment: Environment,
    pub failure: Option<Failure>,
    pub findings: Vec<Finding>,
    /// The module the user asked about, when there is one.
    pub module: Option<String>,
    /// The top-level Python package the failure is in, as far as the evidence tells: the
    /// module asked about, else what a paste shows (`import pyproj`, a frame under
    /// `site-packages/h5py/`, a wheel's `.so` file name). For fixes that name a package.
    pub package: Option<String>,
}
