//! The environment block of the evidence: what is known of the machine, the interpreter, its
//! loader, nix-ld, the shell and a Jupyter kernel, probed or read from pasted text.

use serde::{Deserialize, Serialize};

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
    /// The nixpkgs `python3.withPackages` environment the python belongs to, or that the venv
    /// was made from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nix_env: Option<NixEnvFacts>,
    /// For a python from the Nix store: the module that did not import, and where the store
    /// (or the env a venv was made from) has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_module: Option<MissingModule>,
}

/// A `python3.withPackages` environment (a buildEnv in the store whose `bin/python3.X` is a
/// wrapper), and, when a module is missing, where the store has it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NixEnvFacts {
    /// The env's store path (`/nix/store/…-python3-3.12.11-env`).
    pub path: String,
    /// How its packages reach the python: `argv0` (nixpkgs 24.05 and later: the wrapper hands
    /// over its own path, and the env is the python's prefix), `nix-pythonpath` (older: the
    /// wrapper sets `NIX_PYTHONPATH`, which the python's sitecustomize reads), or `unknown`.
    pub layout: String,
    /// The Python packages in it, from its site-packages links.
    #[serde(default)]
    pub packages: Vec<NixPythonPackage>,
    /// Whether the python under diagnosis is a venv made from the env.
    #[serde(default)]
    pub venv_base: bool,
    /// For such a venv: whether it sees the env's packages (`include-system-site-packages`,
    /// or the older layout's `NIX_PYTHONPATH`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub venv_sees_env: Option<bool>,
}

/// One Python package of the store (`/nix/store/…-python3.12-requests-2.32.3`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NixPythonPackage {
    /// Its name as nixpkgs spells it in the store path (`requests`, `scikit-learn`); usually
    /// the attribute name in `python3Packages`.
    pub name: String,
    pub version: String,
    pub path: String,
    /// In an env: it is there as another package's Python dependency (named in that one's
    /// `nix-support/propagated-build-inputs`), not asked for itself.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dependency: bool,
}

/// Where a module that did not import sits in the Nix store (`check`, a Nix python only).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingModule {
    /// The top-level module (`numpy`).
    pub module: String,
    /// It is in the env's own site-packages (then a venv made from the env does not see it).
    pub in_env: bool,
    /// Store packages built for this python's version that hold it, newest first.
    #[serde(default)]
    pub store: Vec<NixPythonPackage>,
    /// The one the fix names: the newest that imports, when one was tried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chosen: Option<String>,
    /// The `site-packages` dirs the fix adds: the chosen package's and those of its Python
    /// dependencies (`nix-support/propagated-build-inputs`), or the env's own for a venv.
    #[serde(default)]
    pub site_dirs: Vec<String>,
    /// Whether the module imported with those dirs added after the python's own (None: not
    /// tried).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imports: Option<bool>,
    /// Python versions (`3.11`) for which the store has the module, when this python's has not.
    #[serde(default)]
    pub other_pythons: Vec<String>,
    /// The store look ran out of its time budget before it saw every entry.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub store_look_cut_short: bool,
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
    /// With the driver dir searched after `LD_LIBRARY_PATH`, every driver library missing (or a
    /// stub) today is found there; absent when none is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver_dir_resolves: Option<bool>,
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
