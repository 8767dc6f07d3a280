//! `check --cuda`: where the CUDA libraries a package needs or loads at run time would come
//! from, searched the way the interpreter's loader would search for them.
//!
//! The driver's libraries (`libcuda.so.1`, `libnvidia-ml.so.1`) are seldom in any file's
//! DT_NEEDED: torch, jax and pynvml dlopen them when CUDA is first used, so `import` works and
//! the GPU is missing. Each is searched as a `dlopen` from the file that needs it, else from
//! the package's first extension module, else from the interpreter (a ctypes load). The CUDA
//! runtime (`libcudart.so.12`) is searched under each soname the package's files, or the
//! files of its `nvidia-*` wheels, need.

use std::path::{Path, PathBuf};

use crate::catalog::causes::{CauseTables, Cuda};
use crate::env::cuda as driver;
use crate::evidence::{CauseKind, CudaFacts, CudaLibrary, CudaStub, Finding, FindingSource};
use crate::loader::report::NeededLibrary;
use crate::loader::{LoaderContext, Resolver};

/// What the package is, for the search.
pub struct CudaInputs<'a> {
    /// The package's ELF files (extension modules and vendored libraries).
    pub files: &'a [PathBuf],
    /// The interpreter's `sys.path`: where the `nvidia/*/lib` dirs of the wheels are.
    pub sys_path: &'a [String],
    /// The running interpreter, the caller of a ctypes `dlopen`.
    pub interpreter: &'a Path,
    /// Where `/proc` and `/run` are read (`/` except in tests).
    pub root: &'a Path,
}

pub fn facts(ctx: &LoaderContext, inputs: &CudaInputs) -> CudaFacts {
    let resolver = Resolver::new(ctx.clone());
    let mut files: Vec<PathBuf> = inputs.files.to_vec();
    files.extend(nvidia_wheel_files(inputs.sys_path));
    let default_caller = inputs
        .files
        .first()
        .cloned()
        .unwrap_or_else(|| inputs.interpreter.to_path_buf());
    let mut wanted: Vec<(String, PathBuf, &str)> = Vec::new();
    for file in &files {
        let Ok(summary) = crate::elf::read_summary(file) else {
            continue;
        };
        for name in &summary.needed {
            if is_cuda_library(name) && !wanted.iter().any(|(n, _, _)| n == name) {
                wanted.push((name.clone(), file.clone(), "needed"));
            }
        }
    }
    for name in &cuda().driver_libraries {
        if !wanted.iter().any(|(n, _, _)| n == name) {
            wanted.push((name.clone(), default_caller.clone(), "dlopen"));
        }
    }
    wanted.sort_by_key(|(name, _, _)| cuda().rank(name));
    let libraries: Vec<CudaLibrary> = wanted
        .iter()
        .map(|(name, caller, how)| library(&resolver.dlopen_from(caller, name), caller, how))
        .collect();
    let (driver_dir_exists, driver_dir_has_libcuda) = driver::driver_dir(inputs.root);
    let driver_dir_resolves = driver_dir_exists
        .then(|| resolves_with_driver_dir(ctx, &wanted, &libraries, inputs.root))
        .flatten();
    CudaFacts {
        libraries,
        driver_dir: driver::NIXOS_DRIVER_DIR.to_string(),
        driver_dir_exists,
        driver_dir_has_libcuda,
        driver_dir_resolves,
        stubs: stubs(ctx, &default_caller),
        driver_version: driver::driver_version(inputs.root),
    }
}

/// With NixOS's driver dir searched after `LD_LIBRARY_PATH` (what PD106's fix and a `pydoctor
/// fix` preload give), whether every driver library that is missing or a stub today is found,
/// and not as a stub. None when no driver library needs it.
fn resolves_with_driver_dir(
    ctx: &LoaderContext,
    wanted: &[(String, PathBuf, &str)],
    today: &[CudaLibrary],
    root: &Path,
) -> Option<bool> {
    let dir = root.join(driver::NIXOS_DRIVER_DIR.trim_start_matches('/'));
    let resolver = Resolver::new(ctx.clone().with_extra_library_dirs(vec![dir]));
    let mut broken = wanted
        .iter()
        .zip(today)
        .filter(|((name, _, _), lib)| {
            cuda().driver_libraries.contains(name) && (lib.path.is_none() || lib.stub)
        })
        .peekable();
    broken.peek()?;
    Some(broken.all(|((name, caller, how), _)| {
        let found = library(&resolver.dlopen_from(caller, name), caller, how);
        found.path.is_some() && !found.stub
    }))
}

/// The findings of the search: each library loaded at run time that the loader would not
/// find, and each stub it would find instead of the driver's `libcuda.so.1`. A library in a
/// DT_NEEDED entry is already a finding of the package's resolution.
pub fn findings(facts: &CudaFacts) -> Vec<Finding> {
    let mut out = Vec::new();
    for lib in &facts.libraries {
        if lib.how != "dlopen" {
            continue;
        }
        let detail = match &lib.path {
            None => format!(
                "{} (loaded at run time by {}) cannot be found",
                lib.soname, lib.requested_by
            ),
            Some(path) if lib.stub => format!(
                "{} would be loaded from a stub ({path}), which fails every call",
                lib.soname
            ),
            Some(_) => continue,
        };
        let mut f = Finding::new(CauseKind::MissingSharedLibrary, FindingSource::Elf, detail);
        f.library = Some(lib.soname.clone());
        f.required_by = Some(lib.requested_by.clone());
        f.tried = lib.tried.clone();
        if lib.stub {
            f.provider = lib.path.clone();
            f.provider_via = lib.found_via.map(|v| v.as_str().to_string());
        }
        out.push(f);
    }
    out
}

/// The CUDA table of `rules/tables/causes.toml`.
fn cuda() -> &'static Cuda {
    &CauseTables::builtin().cuda
}

fn is_cuda_library(name: &str) -> bool {
    cuda().is_cuda_library(name)
}

fn library(found: &NeededLibrary, caller: &Path, how: &str) -> CudaLibrary {
    CudaLibrary {
        soname: found.soname.clone(),
        requested_by: caller.to_string_lossy().into_owned(),
        how: how.to_string(),
        stub: found.path.as_deref().is_some_and(|p| is_stub(Path::new(p))),
        path: found.path.clone(),
        found_via: found.found_via,
        tried: found.tried.clone(),
    }
}

fn is_stub(path: &Path) -> bool {
    cuda().is_stub(path)
}

/// The `stubs` dirs on LD_LIBRARY_PATH that hold a `libcuda.so.1`, and what the loader would
/// find without them.
fn stubs(ctx: &LoaderContext, caller: &Path) -> Vec<CudaStub> {
    let found: Vec<(String, PathBuf)> = ctx
        .ld_library_path
        .iter()
        .map(|dir| (dir.clone(), Path::new(dir).join("libcuda.so.1")))
        .filter(|(_, file)| is_stub(file) && file.exists())
        .collect();
    if found.is_empty() {
        return Vec::new();
    }
    let mut without = ctx.clone();
    without
        .ld_library_path
        .retain(|dir| !found.iter().any(|(d, _)| d == dir));
    let shadows = Resolver::new(without)
        .dlopen_from(caller, "libcuda.so.1")
        .path
        .filter(|p| !is_stub(Path::new(p)));
    found
        .into_iter()
        .map(|(dir, file)| CudaStub {
            path: file.to_string_lossy().into_owned(),
            dir,
            shadows: shadows.clone(),
        })
        .collect()
}

/// The ELF files of the `nvidia-*` wheels: `site-packages/nvidia/<part>/lib/*.so*`.
fn nvidia_wheel_files(sys_path: &[String]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in sys_path {
        let Ok(parts) = std::fs::read_dir(Path::new(entry).join("nvidia")) else {
            continue;
        };
        let mut dirs: Vec<PathBuf> = parts.flatten().map(|p| p.path().join("lib")).collect();
        dirs.sort();
        for dir in dirs {
            let Ok(libs) = std::fs::read_dir(&dir) else {
                continue;
            };
            let mut libs: Vec<PathBuf> = libs
                .flatten()
                .map(|f| f.path())
                .filter(|p| {
                    p.to_string_lossy().contains(".so") && crate::source::package::is_elf_file(p)
                })
                .collect();
            libs.sort();
            files.extend(libs);
        }
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stub_is_a_file_in_a_stubs_dir() {
        assert!(is_stub(Path::new(
            "/nix/store/x-cuda/lib/stubs/libcuda.so.1"
        )));
        assert!(is_stub(Path::new("/usr/local/cuda/lib64/stubs/libcuda.so")));
        assert!(!is_stub(Path::new("/run/opengl-driver/lib/libcuda.so.1")));
        assert!(!is_stub(Path::new("/opt/stubs-not/libcuda.so.1")));
    }

    #[test]
    fn the_cuda_sonames_are_told_apart() {
        assert!(is_cuda_library("libcudart.so.12"));
        assert!(is_cuda_library("libcuda.so.1"));
        assert!(!is_cuda_library("libcudnn.so.9"));
        assert_eq!(cuda().rank("libnvidia-ml.so.1"), Some(1));
        assert_eq!(cuda().rank("libcudart.so.12"), Some(2));
    }
}
