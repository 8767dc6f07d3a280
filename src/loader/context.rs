//! The loader context: everything about *which* loader will resolve a file, built from what
//! that loader says about itself ([`LoaderFacts`], gathered by the caller) and the caller's
//! [`Settings`]: flavour, compiled-in system dirs and cache, glibc-hwcaps subdirectories,
//! `$LIB`/`$PLATFORM`, the main program's DT_RPATH, LD_LIBRARY_PATH, and the objects
//! already loaded when a module is dlopen'd. It does not search (see `resolve`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::elf::{self, ElfClass, Target};

use super::cache::{self, LdCache};
use super::flavor::{self, LoaderFlavor};
use super::program::Program;
use super::settings::Settings;

/// The FHS loader path of this architecture.
pub const HOST_LOADER: &str = "/lib64/ld-linux-x86-64.so.2";

/// An object present in the namespace before the module is dlopen'd.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preloaded {
    pub path: PathBuf,
    /// Names it answers to: the names it was requested by, its DT_SONAME, its file name.
    pub names: Vec<String>,
    /// Loaded by the interpreter at start (always there), or observed at run time
    /// (there only because something was imported before: a latent dependency).
    pub at_startup: bool,
}

/// Facts a loader reports about itself (or that its flavour implies when it cannot be
/// asked). Plain data: how they are learnt is the caller's business.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoaderFacts {
    pub glibc_version: Option<String>,
    pub system_dirs: Vec<PathBuf>,
    pub cache_path: Option<PathBuf>,
    /// Active glibc-hwcaps subdirectories, highest priority first (`x86-64-v3`).
    pub hwcaps: Vec<String>,
    /// Legacy (pre-2.37) subdirectory combinations, in search order (`tls/x86_64`).
    pub legacy_subdirs: Vec<String>,
    pub lib_dst: Option<String>,
    pub platform: Option<String>,
}

/// A loader path as found here: the path asked for, the file it leads to, its flavour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownLoader {
    pub path: PathBuf,
    pub real: PathBuf,
    pub flavor: LoaderFlavor,
}

impl KnownLoader {
    pub fn at(path: &Path, store_dir: &Path) -> KnownLoader {
        let real = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        KnownLoader {
            flavor: flavor::classify(path, &real, store_dir),
            path: path.to_path_buf(),
            real,
        }
    }
}

/// Which loader resolves, with which inputs. Build with [`LoaderContext::host`],
/// [`LoaderContext::for_program`] or [`LoaderContext::for_loader`], then the `with_*` builders.
#[derive(Debug, Clone)]
pub struct LoaderContext {
    pub flavor: LoaderFlavor,
    /// The loader (PT_INTERP of the interpreter, or the host's).
    pub interpreter: Option<PathBuf>,
    /// The loader NIX_LD points to, when the interpreter's loader is the nix-ld shim.
    pub nix_ld: Option<PathBuf>,
    pub glibc_version: Option<String>,
    /// Compiled-in system search dirs, in order.
    pub default_dirs: Vec<PathBuf>,
    /// The cache the loader reads (it may not exist: Nix glibc).
    pub cache_path: Option<PathBuf>,
    pub(crate) cache: Option<Arc<LdCache>>,
    pub(crate) cache_flags: i32,
    /// Subdirectories tried in every search dir before the dir itself, in order, each
    /// ending in '/' (`glibc-hwcaps/x86-64-v3/`, `tls/x86_64/`).
    pub subdirs: Vec<String>,
    /// Active glibc-hwcaps names, for ld.so.cache hwcaps entries.
    pub hwcaps: Vec<String>,
    pub lib_dst: Option<String>,
    pub platform: Option<String>,
    pub target: Target,
    /// LD_LIBRARY_PATH as split by the loader (empty element = current directory).
    pub ld_library_path: Vec<String>,
    /// The tail of `ld_library_path` that nix-ld appended (`$NIX_LD_LIBRARY_PATH`): the
    /// machine's nix-ld configuration, not the shell's, so what it finds is not latent.
    pub nix_ld_library_path: Vec<String>,
    /// Dirs searched right after LD_LIBRARY_PATH, as if appended to it (to verify a fix).
    pub extra_library_dirs: Vec<PathBuf>,
    /// The program the process runs (the python), when known.
    pub main_program: Option<PathBuf>,
    /// The main program's DT_RPATH, split and expanded (empty when it has DT_RUNPATH).
    pub main_rpath: Vec<String>,
    pub preloaded: Vec<Preloaded>,
    pub cwd: PathBuf,
}

impl LoaderContext {
    /// The host's loader `host` (at [`HOST_LOADER`]), as `ldd FILE` would use it: no main
    /// program besides the file, only ld.so itself already loaded.
    pub fn host(host: &KnownLoader, facts: LoaderFacts, settings: &Settings) -> LoaderContext {
        let mut ctx = LoaderContext::for_loader(host, facts, settings);
        ctx.preloaded = loader_itself(&host.path);
        ctx
    }

    /// The loader that `program` runs under (`loader`, its PT_INTERP): takes the main
    /// program's DT_RPATH and resolves the program's own DT_NEEDED closure (objects loaded
    /// at start).
    pub fn for_program(
        program: &Program,
        loader: &KnownLoader,
        facts: LoaderFacts,
        settings: &Settings,
    ) -> LoaderContext {
        let real = &program.real;
        let mut ctx = LoaderContext::for_loader(loader, facts, settings);
        ctx.target = Target {
            class: program.summary.class,
            machine: program.summary.machine,
        };
        let origin = real.parent().map(|p| p.to_string_lossy().into_owned());
        ctx.main_rpath = program
            .summary
            .effective_rpath()
            .map(|r| ctx.expand_list(r, origin.as_deref()))
            .unwrap_or_default();
        ctx.main_program = Some(real.clone());
        ctx.preloaded = loader_itself(&loader.path);
        ctx.preloaded.push(Preloaded {
            path: real.clone(),
            names: vec![real.to_string_lossy().into_owned()],
            at_startup: true,
        });
        let startup = super::Resolver::new(ctx.clone()).startup_objects(real);
        ctx.preloaded.extend(startup);
        ctx
    }

    /// A context for a given loader, without main program or loaded objects.
    pub fn for_loader(
        loader: &KnownLoader,
        facts: LoaderFacts,
        settings: &Settings,
    ) -> LoaderContext {
        let target = Target::X86_64;
        let mut ctx = LoaderContext {
            flavor: loader.flavor,
            interpreter: Some(loader.path.clone()),
            nix_ld: None,
            glibc_version: None,
            default_dirs: Vec::new(),
            cache_path: None,
            cache: None,
            cache_flags: cache_flags_for(target),
            subdirs: Vec::new(),
            hwcaps: Vec::new(),
            lib_dst: None,
            platform: None,
            target,
            ld_library_path: settings.ld_library_path.clone(),
            nix_ld_library_path: Vec::new(),
            extra_library_dirs: Vec::new(),
            main_program: None,
            main_rpath: Vec::new(),
            preloaded: Vec::new(),
            cwd: settings.cwd.clone(),
        };
        ctx.apply_facts(facts);
        ctx
    }

    fn apply_facts(&mut self, facts: LoaderFacts) {
        self.glibc_version = facts.glibc_version;
        self.default_dirs = facts.system_dirs;
        self.cache = facts
            .cache_path
            .as_deref()
            .and_then(LdCache::read)
            .map(Arc::new);
        self.cache_path = facts.cache_path;
        self.subdirs = facts
            .hwcaps
            .iter()
            .map(|h| format!("glibc-hwcaps/{h}/"))
            .chain(facts.legacy_subdirs.iter().map(|s| format!("{s}/")))
            .collect();
        self.hwcaps = facts.hwcaps;
        self.lib_dst = facts.lib_dst;
        self.platform = facts.platform;
    }

    /// Replace LD_LIBRARY_PATH (already split the loader's way).
    pub fn with_ld_library_path(mut self, dirs: Vec<String>) -> LoaderContext {
        self.ld_library_path = dirs;
        self
    }

    /// Search these dirs right after LD_LIBRARY_PATH (to check a fix before showing it).
    pub fn with_extra_library_dirs(mut self, dirs: Vec<PathBuf>) -> LoaderContext {
        self.extra_library_dirs = dirs;
        self
    }

    /// Objects already mapped in the process (e.g. from the probe's /proc/self/maps); they
    /// satisfy a later DT_NEEDED by soname or file name, but only by luck of import order.
    pub fn with_preloaded(mut self, paths: Vec<PathBuf>) -> LoaderContext {
        for path in paths {
            if self.preloaded.iter().any(|p| p.path == path) {
                continue;
            }
            let mut names = vec![path.to_string_lossy().into_owned()];
            if let Some(f) = path.file_name() {
                names.push(f.to_string_lossy().into_owned());
            }
            if let Ok(s) = elf::read_summary(&path)
                && let Some(soname) = s.soname
            {
                names.push(soname);
            }
            self.preloaded.push(Preloaded {
                path,
                names,
                at_startup: false,
            });
        }
        self
    }

    /// The interpreter's loader path is the nix-ld shim: the real loader is `real`'s
    /// (`$NIX_LD`), whose dirs and cache apply, and nix-ld appends `nix_ld_library_path`
    /// (`$NIX_LD_LIBRARY_PATH`, or its default) to LD_LIBRARY_PATH (docs/loader-and-nix.md,
    /// "nix-ld's variables and defaults").
    pub fn with_nix_ld(
        mut self,
        real: LoaderContext,
        nix_ld_library_path: Vec<String>,
    ) -> LoaderContext {
        self.flavor = real.flavor;
        self.nix_ld = real.interpreter;
        self.glibc_version = real.glibc_version;
        self.default_dirs = real.default_dirs;
        self.cache_path = real.cache_path;
        self.cache = real.cache;
        self.subdirs = real.subdirs;
        self.hwcaps = real.hwcaps;
        self.lib_dst = real.lib_dst;
        self.platform = real.platform;
        self.ld_library_path
            .extend(nix_ld_library_path.iter().cloned());
        self.nix_ld_library_path = nix_ld_library_path;
        self
    }

    /// The glibc version as (major, minor), when known.
    pub fn glibc_version_tuple(&self) -> Option<(u32, u32)> {
        let v = self.glibc_version.as_deref()?;
        let mut it = v.split('.');
        Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
    }
}

fn cache_flags_for(target: Target) -> i32 {
    match (target.class, target.machine) {
        (ElfClass::Elf64, elf::EM_AARCH64) => cache::FLAGS_AARCH64,
        _ => cache::FLAGS_X86_64,
    }
}

/// ld.so is in every namespace from the start: it answers to its path and its soname.
fn loader_itself(loader: &Path) -> Vec<Preloaded> {
    let mut names = vec![loader.to_string_lossy().into_owned()];
    if let Ok(s) = elf::read_summary(loader)
        && let Some(soname) = s.soname
    {
        names.push(soname);
    }
    vec![Preloaded {
        path: loader.to_path_buf(),
        names,
        at_startup: true,
    }]
}
