//! The loader context: everything about *which* loader will resolve a file, derived from an
//! interpreter (its PT_INTERP) or from the host: flavour, compiled-in system dirs and cache
//! path (read from the loader itself, `--list-diagnostics` and `--help`), glibc-hwcaps
//! subdirectories, `$LIB`/`$PLATFORM`, the main program's DT_RPATH, LD_LIBRARY_PATH, and the
//! objects already loaded when a module is dlopen'd. It does not search (see `search`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::elf::{self, ElfClass, Target};
use crate::error::{Error, Result};
use crate::evidence::LoaderFlavor;
use crate::request::Request;

use super::cache::{self, LdCache};
use super::dst;

/// The FHS loader path of this architecture.
pub const HOST_LOADER: &str = "/lib64/ld-linux-x86-64.so.2";

/// nix-ld's compiled-in defaults when its variables are unset (docs/loader-and-nix.md, "nix-ld's variables and defaults").
const NIX_LD_DEFAULT: &str = "/run/current-system/sw/share/nix-ld/lib/ld.so";
const NIX_LD_LIBRARY_PATH_DEFAULT: &str = "/run/current-system/sw/share/nix-ld/lib";

/// The loader nix-ld starts: `$NIX_LD`, or its compiled-in default.
pub fn nix_ld_loader(request: &Request) -> PathBuf {
    PathBuf::from(request.nonempty_var("NIX_LD").unwrap_or(NIX_LD_DEFAULT))
}

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

/// Facts a glibc loader reports about itself.
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

/// Which loader resolves, with which inputs. Build with [`LoaderContext::host`] or
/// [`LoaderContext::for_interpreter`], then the `with_*` builders.
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
    /// The host's loader (`/lib64/ld-linux-x86-64.so.2`), as `ldd FILE` would use it: no main
    /// program besides the file, only ld.so itself already loaded.
    pub fn host(request: &Request) -> Result<LoaderContext> {
        let loader = PathBuf::from(HOST_LOADER);
        let mut ctx = LoaderContext::for_loader(&loader, request);
        ctx.preloaded = loader_itself(&loader);
        Ok(ctx)
    }

    /// The loader that `python` runs under: follows symlinks to the real ELF, reads its
    /// PT_INTERP, asks that loader for its dirs and cache, takes the main program's DT_RPATH
    /// and resolves the interpreter's own DT_NEEDED closure (objects loaded at start).
    pub fn for_interpreter(python: &Path, request: &Request) -> Result<LoaderContext> {
        let real = std::fs::canonicalize(python).map_err(|e| Error::io(python, e))?;
        let summary = elf::read_summary(&real)
            .map_err(|e| Error::Other(format!("{}: {e}", real.display())))?;
        let Some(interp) = summary.interpreter.clone() else {
            return Err(Error::Other(format!(
                "{}: no PT_INTERP (a static executable or not a program)",
                real.display()
            )));
        };
        let loader = PathBuf::from(&interp);
        let mut ctx = LoaderContext::for_loader(&loader, request);
        ctx.target = Target {
            class: summary.class,
            machine: summary.machine,
        };
        let origin = real.parent().map(|p| p.to_string_lossy().into_owned());
        ctx.main_rpath = summary
            .effective_rpath()
            .map(|r| ctx.expand_list(r, origin.as_deref()))
            .unwrap_or_default();
        ctx.main_program = Some(real.clone());
        ctx.preloaded = loader_itself(&loader);
        ctx.preloaded.push(Preloaded {
            path: real.clone(),
            names: vec![real.to_string_lossy().into_owned()],
            at_startup: true,
        });
        let startup = super::Resolver::new(ctx.clone()).startup_objects(&real);
        ctx.preloaded.extend(startup);
        Ok(ctx)
    }

    /// A context for a given loader path, without main program or loaded objects.
    pub fn for_loader(loader: &Path, request: &Request) -> LoaderContext {
        let real = std::fs::canonicalize(loader).unwrap_or_else(|_| loader.to_path_buf());
        let flavor = flavor_of(loader, &real, &request.store_dir());
        let facts = match flavor {
            LoaderFlavor::Musl => musl_facts(&real),
            _ => query_glibc_loader_cached(loader, &real, request)
                .unwrap_or_else(|| fallback_facts(flavor, &real)),
        };
        let target = Target::X86_64;
        let mut ctx = LoaderContext {
            flavor,
            interpreter: Some(loader.to_path_buf()),
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
            ld_library_path: request.ld_library_path().unwrap_or_default(),
            nix_ld_library_path: Vec::new(),
            extra_library_dirs: Vec::new(),
            main_program: None,
            main_rpath: Vec::new(),
            preloaded: Vec::new(),
            cwd: request.cwd.clone(),
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

    /// The same, with `$NIX_LD` and `$NIX_LD_LIBRARY_PATH` from the request, or nix-ld's
    /// compiled-in defaults when they are unset (docs/loader-and-nix.md, "nix-ld's variables and defaults").
    pub fn with_nix_ld_from(self, request: &Request) -> LoaderContext {
        let real = nix_ld_loader(request);
        let dirs = request
            .nonempty_var("NIX_LD_LIBRARY_PATH")
            .unwrap_or(NIX_LD_LIBRARY_PATH_DEFAULT)
            .split(':')
            .map(str::to_string)
            .collect();
        self.with_nix_ld(&real, dirs, request)
    }

    /// The interpreter's loader path is the nix-ld shim: the real loader is `real_loader`
    /// (`$NIX_LD`), whose dirs and cache apply, and nix-ld appends `nix_ld_library_path`
    /// (`$NIX_LD_LIBRARY_PATH`, or its default) to LD_LIBRARY_PATH (docs/loader-and-nix.md, "nix-ld's variables and defaults").
    pub fn with_nix_ld(
        mut self,
        real_loader: &Path,
        nix_ld_library_path: Vec<String>,
        request: &Request,
    ) -> LoaderContext {
        let real = LoaderContext::for_loader(real_loader, request);
        self.flavor = real.flavor;
        self.nix_ld = Some(real_loader.to_path_buf());
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

    /// Split a DT_RPATH/DT_RUNPATH string (':' only), expand DSTs, drop elements whose DST
    /// has no value, keep empty elements (the current directory), collapse duplicates.
    pub fn expand_list(&self, list: &str, origin: Option<&str>) -> Vec<String> {
        if list.is_empty() {
            return Vec::new();
        }
        self.expand_elements(list.split(':'), origin)
    }

    pub(crate) fn expand_elements<'a>(
        &self,
        elements: impl Iterator<Item = &'a str>,
        origin: Option<&str>,
    ) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for element in elements {
            let Some(dir) = dst::expand(
                element,
                origin,
                self.lib_dst.as_deref(),
                self.platform.as_deref(),
            ) else {
                continue;
            };
            let dir = dst::normalize_dir(&dir);
            if !out.contains(&dir) {
                out.push(dir);
            }
        }
        out
    }

    /// LD_LIBRARY_PATH dirs, DSTs expanded relative to the main program.
    pub(crate) fn ld_library_path_dirs(&self) -> Vec<String> {
        let mut dirs = self.expand_relative_to_main(&self.ld_library_path);
        for d in &self.extra_library_dirs {
            let d = dst::normalize_dir(&d.to_string_lossy());
            if !dirs.contains(&d) {
                dirs.push(d);
            }
        }
        dirs
    }

    /// The dirs nix-ld appended to LD_LIBRARY_PATH, expanded the same way: what a search
    /// without the shell's LD_LIBRARY_PATH still has.
    pub(crate) fn nix_ld_library_path_dirs(&self) -> Vec<String> {
        self.expand_relative_to_main(&self.nix_ld_library_path)
    }

    fn expand_relative_to_main(&self, elements: &[String]) -> Vec<String> {
        let origin = self
            .main_program
            .as_deref()
            .and_then(Path::parent)
            .map(|p| p.to_string_lossy().into_owned());
        self.expand_elements(elements.iter().map(String::as_str), origin.as_deref())
    }

    pub(crate) fn lookup_cache(&self, name: &str) -> Option<String> {
        self.cache
            .as_ref()?
            .lookup(name, self.cache_flags, &self.hwcaps)
            .map(str::to_string)
    }

    /// The dir a system dir is written as in the search list ("/usr/lib/").
    pub(crate) fn default_dir_strings(&self) -> Vec<String> {
        self.default_dirs
            .iter()
            .map(|d| dst::normalize_dir(&d.to_string_lossy()))
            .collect()
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

/// Flavour from the loader path: musl by name; Nix glibc when it lives in the store.
pub fn flavor_of(loader: &Path, real: &Path, store_dir: &Path) -> LoaderFlavor {
    let name = real.file_name().unwrap_or_default().to_string_lossy();
    let asked = loader.file_name().unwrap_or_default().to_string_lossy();
    if name.starts_with("ld-musl") || asked.starts_with("ld-musl") {
        LoaderFlavor::Musl
    } else if !real.exists() {
        LoaderFlavor::Unknown
    } else if real.starts_with(store_dir) || loader.starts_with(store_dir) {
        LoaderFlavor::NixGlibc
    } else {
        LoaderFlavor::FhsGlibc
    }
}

/// [`query_glibc_loader`], remembered in `$XDG_CACHE_HOME/pydoctor` (default
/// `~/.cache/pydoctor`) per loader file and CPU. Asking the loader means two process starts,
/// the largest fixed cost of a short `ldd`. Reading the answers from the binary instead was
/// tried and dropped: the system dirs block has no anchor in `.rodata`, and the active
/// hwcaps subdirs, legacy subdirs and `$PLATFORM` depend on the CPU, not on the file.
/// The key is the file (path, size, mtime, inode) and the CPU features those depend on, so
/// a rebuilt loader or another machine sharing the home directory asks again. Any cache
/// failure just means asking the loader.
fn query_glibc_loader_cached(loader: &Path, real: &Path, request: &Request) -> Option<LoaderFacts> {
    let Some(dir) = facts_cache_dir(request) else {
        return query_glibc_loader(loader);
    };
    let file = dir.join(format!("loader-{:016x}.json", facts_key(loader, real)?));
    if let Some(facts) = std::fs::read(&file)
        .ok()
        .and_then(|b| serde_json::from_slice::<LoaderFacts>(&b).ok())
    {
        return Some(facts);
    }
    let facts = query_glibc_loader(loader)?;
    store_facts(&dir, &file, &facts);
    Some(facts)
}

fn facts_cache_dir(request: &Request) -> Option<PathBuf> {
    let base = match request.nonempty_var("XDG_CACHE_HOME") {
        Some(x) => PathBuf::from(x),
        None => PathBuf::from(request.nonempty_var("HOME")?).join(".cache"),
    };
    base.is_absolute().then(|| base.join("pydoctor"))
}

/// A hash of everything the loader's answers depend on. The path asked for is part of it
/// ("This program interpreter self-identifies as" and nothing else differ between links).
fn facts_key(loader: &Path, real: &Path) -> Option<u64> {
    use std::hash::{Hash, Hasher};
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(real).ok()?;
    // DefaultHasher::new() has fixed keys: the same inputs give the same file name.
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (
        loader,
        real,
        meta.len(),
        meta.mtime(),
        meta.mtime_nsec(),
        meta.ino(),
    )
        .hash(&mut h);
    cpu_features().hash(&mut h);
    Some(h.finish())
}

/// The CPU features behind glibc's hwcaps levels (x86-64-v2/v3/v4) and its legacy
/// `haswell`/`xeon_phi`/`avx512_1` choices, as a bit set.
fn cpu_features() -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        let flags = [
            std::arch::is_x86_feature_detected!("cmpxchg16b"),
            std::arch::is_x86_feature_detected!("popcnt"),
            std::arch::is_x86_feature_detected!("sse3"),
            std::arch::is_x86_feature_detected!("sse4.1"),
            std::arch::is_x86_feature_detected!("sse4.2"),
            std::arch::is_x86_feature_detected!("ssse3"),
            std::arch::is_x86_feature_detected!("avx"),
            std::arch::is_x86_feature_detected!("avx2"),
            std::arch::is_x86_feature_detected!("bmi1"),
            std::arch::is_x86_feature_detected!("bmi2"),
            std::arch::is_x86_feature_detected!("f16c"),
            std::arch::is_x86_feature_detected!("fma"),
            std::arch::is_x86_feature_detected!("lzcnt"),
            std::arch::is_x86_feature_detected!("movbe"),
            std::arch::is_x86_feature_detected!("xsave"),
            std::arch::is_x86_feature_detected!("avx512f"),
            std::arch::is_x86_feature_detected!("avx512bw"),
            std::arch::is_x86_feature_detected!("avx512cd"),
            std::arch::is_x86_feature_detected!("avx512dq"),
            std::arch::is_x86_feature_detected!("avx512vl"),
        ];
        flags
            .iter()
            .enumerate()
            .fold(0, |acc, (i, on)| acc | (u64::from(*on) << i))
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        0
    }
}

/// Write-then-rename, so a concurrent run never reads half a file.
fn store_facts(dir: &Path, file: &Path, facts: &LoaderFacts) {
    let Ok(text) = serde_json::to_vec(facts) else {
        return;
    };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let tmp = file.with_extension(format!("tmp{}", std::process::id()));
    if std::fs::write(&tmp, text).is_ok() && std::fs::rename(&tmp, file).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

/// Run the loader with an empty environment and read what it says about itself.
pub fn query_glibc_loader(loader: &Path) -> Option<LoaderFacts> {
    // Both at once: each is a process start, the dominant fixed cost of a short `ldd`.
    let (diagnostics, help) = std::thread::scope(|s| {
        let d = s.spawn(|| run_loader(loader, "--list-diagnostics"));
        let help = run_loader(loader, "--help");
        (d.join().ok().flatten(), help)
    });
    let help = help?;
    let mut facts = parse_help(&help);
    if let Some(diag) = diagnostics {
        apply_diagnostics(&mut facts, &diag);
    }
    if facts.glibc_version.is_none() {
        facts.glibc_version = run_loader(loader, "--version").and_then(|v| parse_version(&v));
    }
    (!facts.system_dirs.is_empty()).then_some(facts)
}

fn run_loader(loader: &Path, arg: &str) -> Option<String> {
    let mut command = Command::new(loader);
    command.arg(arg).env_clear();
    crate::process::stdout_within(command, Duration::from_secs(5))
}

/// `ld.so --help`: cache path, system dirs, hwcaps subdirs, legacy subdirs.
pub fn parse_help(text: &str) -> LoaderFacts {
    let mut facts = LoaderFacts::default();
    let mut section = "";
    let mut legacy: Vec<(String, &str)> = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if !line.starts_with(' ') && trimmed.ends_with(':') {
            section = if trimmed.starts_with("Shared library search path") {
                "path"
            } else if trimmed.starts_with("Subdirectories of glibc-hwcaps") {
                "hwcaps"
            } else if trimmed.starts_with("Legacy HWCAP") {
                "legacy"
            } else {
                ""
            };
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix("--inhibit-cache") {
            if let Some(p) = rest.trim().strip_prefix("Do not use ") {
                facts.cache_path = Some(PathBuf::from(p.trim()));
            }
            continue;
        }
        match section {
            "path" => {
                if let Some(dir) = trimmed.strip_suffix(" (system search path)") {
                    facts.system_dirs.push(PathBuf::from(dir));
                } else if let Some(rest) = trimmed.strip_prefix("(libraries located via ") {
                    facts.cache_path = Some(PathBuf::from(rest.trim_end_matches(')')));
                }
            }
            "hwcaps" if trimmed.contains("searched") => {
                if let Some(name) = trimmed.split_whitespace().next() {
                    facts.hwcaps.push(name.to_string());
                }
            }
            "legacy" if trimmed.contains("searched") => {
                let name = trimmed.split_whitespace().next().unwrap_or("").to_string();
                let role = if trimmed.contains("AT_PLATFORM") {
                    "platform"
                } else {
                    "hwcap"
                };
                if role == "platform" {
                    facts.platform = Some(name.clone());
                }
                legacy.push((name, role));
            }
            _ => {}
        }
    }
    facts.legacy_subdirs = legacy_combinations(&legacy);
    facts
}

/// Pre-2.37 capability strings: every subset of [tls, hwcap names…, platform], largest
/// first, the first item most significant; duplicates dropped (matches LD_DEBUG=libs).
fn legacy_combinations(legacy: &[(String, &str)]) -> Vec<String> {
    let mut items: Vec<&str> = Vec::new();
    if let Some((n, _)) = legacy.iter().find(|(n, _)| n == "tls") {
        items.push(n);
    }
    items.extend(
        legacy
            .iter()
            .filter(|(n, r)| *r == "hwcap" && n != "tls")
            .map(|(n, _)| n.as_str()),
    );
    items.extend(
        legacy
            .iter()
            .filter(|(_, r)| *r == "platform")
            .map(|(n, _)| n.as_str()),
    );
    if items.is_empty() || items.len() > 12 {
        return Vec::new();
    }
    let n = items.len();
    let mut out: Vec<String> = Vec::new();
    for mask in (1..(1u32 << n)).rev() {
        let parts: Vec<&str> = (0..n)
            .filter(|i| mask & (1 << (n - 1 - i)) != 0)
            .map(|i| items[i])
            .collect();
        let s = parts.join("/");
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

/// `ld.so --list-diagnostics` (glibc ≥ 2.33): version, `$LIB`, platform, system dirs.
fn apply_diagnostics(facts: &mut LoaderFacts, text: &str) {
    let mut dirs = Vec::new();
    for line in text.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim_matches('"');
        match key {
            "version.version" => facts.glibc_version = Some(value.to_string()),
            "dl_dst_lib" => facts.lib_dst = Some(value.to_string()),
            "dl_platform" if facts.platform.is_none() => facts.platform = Some(value.to_string()),
            k if k.starts_with("path.system_dirs[") => dirs.push(PathBuf::from(value)),
            _ => {}
        }
    }
    if !dirs.is_empty() {
        facts.system_dirs = dirs
            .iter()
            .map(|d| PathBuf::from(dst::normalize_dir(&d.to_string_lossy()).trim_end_matches('/')))
            .collect();
    }
}

/// "ld.so (GNU libc) stable release version 2.36." → "2.36".
fn parse_version(text: &str) -> Option<String> {
    let line = text.lines().next()?;
    let v = line.split("version ").nth(1)?.trim_end_matches('.');
    Some(
        v.split_whitespace()
            .next()?
            .trim_end_matches('.')
            .to_string(),
    )
}

/// When the loader cannot be run (stub-ld, another architecture): the usual compiled-in
/// values for its flavour.
fn fallback_facts(flavor: LoaderFlavor, real: &Path) -> LoaderFacts {
    let mut facts = LoaderFacts::default();
    match flavor {
        LoaderFlavor::NixGlibc => {
            // <glibc>/lib/ld-linux-x86-64.so.2 → <glibc>; cache <glibc>/etc/ld.so.cache.
            if let Some(lib) = real.parent() {
                facts.system_dirs.push(lib.to_path_buf());
                if let Some(prefix) = lib.parent() {
                    facts.cache_path = Some(prefix.join("etc/ld.so.cache"));
                }
            }
            facts.glibc_version = real
                .to_string_lossy()
                .split("-glibc-")
                .nth(1)
                .and_then(|r| r.split(['/', '-']).next())
                .map(str::to_string);
        }
        _ => {
            facts.cache_path = Some(PathBuf::from("/etc/ld.so.cache"));
            for d in ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu"] {
                if Path::new(d).is_dir() {
                    facts.system_dirs.push(PathBuf::from(d));
                }
            }
            facts
                .system_dirs
                .extend(["/lib64", "/usr/lib64", "/lib", "/usr/lib"].map(PathBuf::from));
        }
    }
    facts
}

/// musl: `/etc/ld-musl-<arch>.path` (one dir per line or ':'-separated), else its defaults.
fn musl_facts(real: &Path) -> LoaderFacts {
    let arch = real
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .trim_start_matches("ld-musl-")
        .trim_end_matches(".so.1")
        .to_string();
    let conf = std::fs::read_to_string(format!("/etc/ld-musl-{arch}.path")).ok();
    let dirs: Vec<PathBuf> = match conf {
        Some(text) => text
            .split(['\n', ':'])
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
            .collect(),
        None => ["/lib", "/usr/local/lib", "/usr/lib"]
            .map(PathBuf::from)
            .to_vec(),
    };
    LoaderFacts {
        system_dirs: dirs,
        ..LoaderFacts::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_subdirs_follow_the_loaders_order() {
        let legacy = vec![
            ("x86_64".to_string(), "platform"),
            ("tls".to_string(), "hwcap"),
            ("x86_64".to_string(), "hwcap"),
        ];
        assert_eq!(
            legacy_combinations(&legacy),
            vec![
                "tls/x86_64/x86_64",
                "tls/x86_64",
                "tls",
                "x86_64/x86_64",
                "x86_64"
            ]
        );
    }

    #[test]
    fn loader_facts_are_asked_once_then_read_from_the_cache_dir() {
        let Some(asked) = query_glibc_loader(Path::new(HOST_LOADER)) else {
            eprintln!("host loader cannot be run: skipped");
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let request = Request {
            vars: [(
                "XDG_CACHE_HOME".to_string(),
                dir.path().display().to_string(),
            )]
            .into(),
            cwd: dir.path().to_path_buf(),
            rules_dirs: Vec::new(),
        };
        let loader = Path::new(HOST_LOADER);
        let real = std::fs::canonicalize(loader).unwrap();
        let first = query_glibc_loader_cached(loader, &real, &request).unwrap();
        let files: Vec<_> = std::fs::read_dir(dir.path().join("pydoctor"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1, "{files:?}");
        // What is read back is what the loader said, not a fresh question.
        let mut planted = asked.clone();
        planted.glibc_version = Some("9.99".into());
        std::fs::write(&files[0], serde_json::to_vec(&planted).unwrap()).unwrap();
        let second = query_glibc_loader_cached(loader, &real, &request).unwrap();
        assert_eq!(first, asked);
        assert_eq!(second, planted);
    }

    #[test]
    fn the_host_loader_describes_itself() {
        let Some(facts) = query_glibc_loader(Path::new(HOST_LOADER)) else {
            eprintln!("host loader cannot be run: skipped");
            return;
        };
        assert!(!facts.system_dirs.is_empty());
        assert!(facts.glibc_version.is_some());
        assert_eq!(
            facts.cache_path.as_deref(),
            Some(Path::new("/etc/ld.so.cache"))
        );
    }
}
