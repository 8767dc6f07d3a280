//! The evidence every source produces and the rules consume.
//!
//! This module owns the shared vocabulary of the pipeline (cause kinds, the parsed failure,
//! findings, environment facts). Sources (`source/`, `loader/`, `env/`) fill an [`Evidence`];
//! `rules/` reads it and never looks at the machine itself. Nothing here prints.
//!
//! The serde shapes of these types are part of the JSON contract (docs/json.md, version 1):
//! fields may be added, never renamed.

use serde::{Deserialize, Serialize};

mod environment;
mod identity;
pub use environment::{
    CudaFacts, CudaLibrary, CudaStub, EnvSource, Environment, FhsLoaderKind, KernelFacts,
    LoaderFlavor, MissingModule, NixEnvFacts, NixLdFacts, NixPythonPackage, OsFacts, Platform,
    PythonFacts, PythonKind, ShellFacts,
};
pub use identity::{FindingKey, FindingSet, merge_quoted, merge_text_and_loader};

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
