//! What each loader says about itself, learnt the only way that is exact: by running it
//! (`--help`, `--list-diagnostics`) and remembering the answer, or, for musl and for a
//! loader that cannot run, from its configuration file and its flavour's defaults. The
//! loader emulation is then built from these facts as plain data.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::loader::{
    self, KnownLoader, LoaderContext, LoaderFacts, LoaderFlavor, Program, ProgramError, Settings,
};

use super::loader_help;

/// Builds loader contexts for this machine: the settings the loader reads, and where the
/// loaders' answers are remembered (none: ask every time).
#[derive(Debug, Clone, Default)]
pub struct Loaders {
    pub settings: Settings,
    pub cache_dir: Option<PathBuf>,
}

impl Loaders {
    /// The host's loader, as `ldd FILE` would use it.
    pub fn host(&self) -> LoaderContext {
        let host = self.known(Path::new(loader::HOST_LOADER));
        LoaderContext::host(&host, self.facts(&host), &self.settings)
    }

    /// The loader `python` runs under (its PT_INTERP), with the python as main program.
    pub fn for_interpreter(&self, python: &Path) -> Result<LoaderContext> {
        let program = Program::read(python).map_err(program_error)?;
        let interp = self.known(&program.interpreter);
        let facts = self.facts(&interp);
        Ok(LoaderContext::for_program(
            &program,
            &interp,
            facts,
            &self.settings,
        ))
    }

    /// `ctx`'s loader is the nix-ld shim: it really runs under the loader NIX_LD names, with
    /// NIX_LD_LIBRARY_PATH appended (docs/loader-and-nix.md, "nix-ld's variables and defaults").
    pub fn through_nix_ld(&self, ctx: LoaderContext) -> LoaderContext {
        let real = self.known(&self.settings.nix_ld);
        let real = LoaderContext::for_loader(&real, self.facts(&real), &self.settings);
        ctx.with_nix_ld(real, self.settings.nix_ld_library_path.clone())
    }

    fn known(&self, loader: &Path) -> KnownLoader {
        KnownLoader::at(loader, &self.settings.store_dir)
    }

    /// musl's from its path file; glibc's from the loader (asked once per file and CPU), or
    /// its flavour's defaults when it cannot be run.
    pub fn facts(&self, loader: &KnownLoader) -> LoaderFacts {
        match loader.flavor {
            LoaderFlavor::Musl => musl_facts(&loader.real),
            flavor => {
                query_glibc_loader_cached(&loader.path, &loader.real, self.cache_dir.as_deref())
                    .unwrap_or_else(|| fallback_facts(flavor, &loader.real))
            }
        }
    }
}

/// The words `check`, `scan` and `ldd` have always used for a python that is no program.
fn program_error(e: ProgramError) -> Error {
    match e {
        ProgramError::Io { path, source } => Error::io(path, source),
        e => Error::Other(e.to_string()),
    }
}

/// [`query_glibc_loader`], remembered in `cache_dir` (`$XDG_CACHE_HOME/pydoctor`, default
/// `~/.cache/pydoctor`) per loader file and CPU. Asking the loader means two process starts,
/// the largest fixed cost of a short `ldd`. Reading the answers from the binary instead was
/// tried and dropped: the system dirs block has no anchor in `.rodata`, and the active
/// hwcaps subdirs, legacy subdirs and `$PLATFORM` depend on the CPU, not on the file.
/// The key is the file (path, size, mtime, inode) and the CPU features those depend on, so
/// a rebuilt loader or another machine sharing the home directory asks again. Any cache
/// failure just means asking the loader.
fn query_glibc_loader_cached(
    loader: &Path,
    real: &Path,
    cache_dir: Option<&Path>,
) -> Option<LoaderFacts> {
    let Some(dir) = cache_dir else {
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
    store_facts(dir, &file, &facts);
    Some(facts)
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
    let mut facts = loader_help::parse_help(&help);
    if let Some(diag) = diagnostics {
        loader_help::apply_diagnostics(&mut facts, &diag);
    }
    if facts.glibc_version.is_none() {
        facts.glibc_version =
            run_loader(loader, "--version").and_then(|v| loader_help::parse_version(&v));
    }
    (!facts.system_dirs.is_empty()).then_some(facts)
}

fn run_loader(loader: &Path, arg: &str) -> Option<String> {
    let mut command = Command::new(loader);
    command.arg(arg).env_clear();
    crate::process::stdout_within(command, Duration::from_secs(5))
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
    fn loader_facts_are_asked_once_then_read_from_the_cache_dir() {
        let Some(asked) = query_glibc_loader(Path::new(loader::HOST_LOADER)) else {
            eprintln!("host loader cannot be run: skipped");
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let cache_dir = dir.path().join("pydoctor");
        let loader = Path::new(loader::HOST_LOADER);
        let real = std::fs::canonicalize(loader).unwrap();
        let first = query_glibc_loader_cached(loader, &real, Some(&cache_dir)).unwrap();
        let files: Vec<_> = std::fs::read_dir(&cache_dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1, "{files:?}");
        // What is read back is what the loader said, not a fresh question.
        let mut planted = asked.clone();
        planted.glibc_version = Some("9.99".into());
        std::fs::write(&files[0], serde_json::to_vec(&planted).unwrap()).unwrap();
        let second = query_glibc_loader_cached(loader, &real, Some(&cache_dir)).unwrap();
        assert_eq!(first, asked);
        assert_eq!(second, planted);
    }

    #[test]
    fn the_host_loader_describes_itself() {
        let Some(facts) = query_glibc_loader(Path::new(loader::HOST_LOADER)) else {
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
