//! One ELF fixture per loader rule (docs/loader-and-nix.md: the search order and the details below it), built by gcc at test time, each
//! resolved by pydoctor and dlopen'd by the real loader through a harness: both must agree.

mod support;
// Shared with other support modules the same test may include.
#[allow(clippy::duplicate_mod)]
#[path = "support/skip.rs"]
mod skip;

use std::path::{Path, PathBuf};

use pydoctor::env::loader_facts::Loaders;
use pydoctor::evidence::CauseKind;
use pydoctor::loader::Resolver;
use pydoctor::loader::report::{FoundVia, NeededLibrary, ResolvedObject};
use pydoctor::source::loader_findings;
use support::{Fx, RealOutcome};

/// Resolve `root` with the host loader and dlopen it for real with the same inputs.
fn both(fx: &Fx, root: &Path, env: &[(&str, &str)], cwd: &Path) -> (ResolvedObject, RealOutcome) {
    let ctx = Loaders::from_request(&fx.request(env, cwd)).host();
    let ours = Resolver::new(ctx).resolve(root);
    let real = fx.real_dlopen(&[root], env, cwd);
    assert_agree(&ours, &real, cwd);
    (ours, real)
}

/// The oracle: on success every library we found is one the loader loaded, and we report no
/// problem; on failure we report a problem the loader's message names.
fn assert_agree(ours: &ResolvedObject, real: &RealOutcome, cwd: &Path) {
    let findings = loader_findings::findings(std::slice::from_ref(ours));
    let problems: Vec<_> = findings.iter().filter(|f| !f.latent).collect();
    if real.ok {
        assert!(
            problems.is_empty(),
            "loader succeeded, we found {problems:#?}"
        );
        for path in found_paths(&ours.needed) {
            let canon = std::fs::canonicalize(cwd.join(&path)).unwrap();
            assert!(
                real.loaded
                    .iter()
                    .any(|l| std::fs::canonicalize(cwd.join(l)).ok().as_ref() == Some(&canon)),
                "we say {path}, the loader loaded {:#?}",
                real.loaded
            );
        }
    } else {
        assert!(
            problems
                .iter()
                .any(|f| f.library.as_deref().is_some_and(|l| real.error.contains(l))),
            "loader said {:?}; we found {problems:#?}",
            real.error
        );
    }
}

fn found_paths(libs: &[NeededLibrary]) -> Vec<String> {
    let mut out = Vec::new();
    for l in libs {
        if let Some(p) = &l.path {
            out.push(p.clone());
        }
        out.extend(found_paths(&l.needed));
    }
    out
}

fn find<'a>(libs: &'a [NeededLibrary], soname: &str) -> Option<&'a NeededLibrary> {
    for l in libs {
        if l.soname == soname {
            return Some(l);
        }
        if let Some(x) = find(&l.needed, soname) {
            return Some(x);
        }
    }
    None
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

const RPATH: &str = "-Wl,--disable-new-dtags";
const RUNPATH: &str = "-Wl,--enable-new-dtags";

/// liba.so in `a_dir`, libb.so in `b_dir` needing it, root.so in `root_dir` needing libb.
fn chain(fx: &Fx, a_dir: &str, b_dir: &str, b_args: &[&str], root_args: &[&str]) -> PathBuf {
    fx.lib("a.c", &format!("{a_dir}/liba.so"), &[]);
    let mut args = vec![format!("-L{}", s(&fx.path(a_dir))), "-la".to_string()];
    args.extend(b_args.iter().map(|a| a.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    fx.lib("b.c", &format!("{b_dir}/libb.so"), &args);
    let mut args = vec![format!("-L{}", s(&fx.path(b_dir))), "-lb".to_string()];
    args.extend(root_args.iter().map(|a| a.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    fx.lib("root.c", "root/root.so", &args)
}

#[test]
fn rpath_of_the_root_is_inherited_by_its_dependencies() {
    let fx = Fx::new();
    let rp = format!("-Wl,-rpath,{}:{}", s(&fx.path("A")), s(&fx.path("B")));
    let root = chain(&fx, "A", "B", &[], &[RPATH, &rp]);
    let (ours, real) = both(&fx, &root, &[], fx.dir.path());
    assert!(real.ok);
    assert_eq!(
        find(&ours.needed, "liba.so").unwrap().found_via,
        Some(FoundVia::Rpath)
    );
}

#[test]
fn runpath_is_not_inherited_by_dependencies() {
    let fx = Fx::new();
    let rp = format!("-Wl,-rpath,{}:{}", s(&fx.path("A")), s(&fx.path("B")));
    let root = chain(&fx, "A", "B", &[], &[RUNPATH, &rp]);
    let (ours, real) = both(&fx, &root, &[], fx.dir.path());
    assert!(!real.ok);
    let a = find(&ours.needed, "liba.so").unwrap();
    assert_eq!(a.path, None);
    assert_eq!(
        find(&ours.needed, "libb.so").unwrap().found_via,
        Some(FoundVia::Runpath)
    );
}

#[test]
fn a_runpath_on_the_immediate_loader_disables_every_rpath() {
    let fx = Fx::new();
    let rp = format!("-Wl,-rpath,{}:{}", s(&fx.path("A")), s(&fx.path("B")));
    let other = format!("-Wl,-rpath,{}", s(&fx.path("elsewhere")));
    let root = chain(&fx, "A", "B", &[RUNPATH, &other], &[RPATH, &rp]);
    let (ours, real) = both(&fx, &root, &[], fx.dir.path());
    assert!(!real.ok);
    let a = find(&ours.needed, "liba.so").unwrap();
    assert_eq!(
        a.tried.first().map(String::as_str),
        Some(format!("{}/", s(&fx.path("elsewhere")))).as_deref()
    );
}

#[test]
fn ld_library_path_comes_before_runpath() {
    let fx = Fx::new();
    let rp = format!("-Wl,-rpath,{}:{}", s(&fx.path("A")), s(&fx.path("B")));
    let root = chain(&fx, "A", "B", &[], &[RUNPATH, &rp]);
    fx.lib(
        "b.c",
        "L/libb.so",
        &[
            &format!("-L{}", s(&fx.path("A"))),
            "-la",
            RPATH,
            &format!("-Wl,-rpath,{}", s(&fx.path("A"))),
        ],
    );
    let llp = s(&fx.path("L"));
    let (ours, real) = both(&fx, &root, &[("LD_LIBRARY_PATH", &llp)], fx.dir.path());
    assert!(real.ok);
    let b = find(&ours.needed, "libb.so").unwrap();
    assert_eq!(b.found_via, Some(FoundVia::LdLibraryPath));
    assert_eq!(b.path.as_deref(), Some(format!("{llp}/libb.so").as_str()));
    // Found also through RUNPATH without it: not latent.
    assert!(!b.latent);
}

#[test]
fn ld_library_path_splits_on_semicolons_and_an_empty_element_is_the_cwd() {
    let fx = Fx::new();
    let root = chain(&fx, "A", "B", &[], &[]);
    let llp = format!("/nonexistent;{}:", s(&fx.path("B")));
    let cwd = fx.path("A");
    let (ours, real) = both(&fx, &root, &[("LD_LIBRARY_PATH", &llp)], &cwd);
    assert!(real.ok, "{real:?}");
    let a = find(&ours.needed, "liba.so").unwrap();
    assert_eq!(a.found_via, Some(FoundVia::LdLibraryPath));
    assert!(a.latent, "found only through LD_LIBRARY_PATH");
}

#[test]
fn a_library_of_the_other_class_is_skipped_and_the_search_goes_on() {
    let fx = Fx::new();
    fx.mkdir("W");
    std::process::Command::new("gcc")
        .args(["-m32", "-nostdlib", "-shared", "-fPIC", "-o"])
        .arg(fx.path("W/liba.so"))
        .arg(Path::new(support::FIXTURES).join("a.c"))
        .status()
        .unwrap();
    let rp = format!(
        "-Wl,-rpath,{}:{}:{}",
        s(&fx.path("W")),
        s(&fx.path("A")),
        s(&fx.path("B"))
    );
    let root = chain(&fx, "A", "B", &[], &[RPATH, &rp]);
    let (ours, real) = both(&fx, &root, &[], fx.dir.path());
    assert!(real.ok);
    let a = find(&ours.needed, "liba.so").unwrap();
    assert_eq!(
        a.path.as_deref(),
        Some(format!("{}/liba.so", s(&fx.path("A"))).as_str())
    );
}

#[test]
fn only_a_library_of_the_other_class_is_a_wrong_class_error() {
    let fx = Fx::new();
    let rp = format!("-Wl,-rpath,{}:{}", s(&fx.path("W")), s(&fx.path("B")));
    let root = chain(&fx, "A", "B", &[], &[RPATH, &rp]);
    std::fs::remove_file(fx.path("A/liba.so")).unwrap();
    fx.mkdir("W");
    std::process::Command::new("gcc")
        .args(["-m32", "-nostdlib", "-shared", "-fPIC", "-o"])
        .arg(fx.path("W/liba.so"))
        .arg(Path::new(support::FIXTURES).join("a.c"))
        .status()
        .unwrap();
    let (ours, real) = both(&fx, &root, &[], fx.dir.path());
    assert!(real.error.contains("wrong ELF class"), "{real:?}");
    let f = loader_findings::findings(std::slice::from_ref(&ours));
    assert_eq!(f[0].kind, CauseKind::WrongElfClass);
}

#[test]
fn a_library_for_another_machine_is_skipped_silently() {
    let fx = Fx::new();
    let rp = format!(
        "-Wl,-rpath,{}:{}:{}",
        s(&fx.path("M")),
        s(&fx.path("A")),
        s(&fx.path("B"))
    );
    let root = chain(&fx, "A", "B", &[], &[RPATH, &rp]);
    fx.mkdir("M");
    let mut bytes = std::fs::read(fx.path("A/liba.so")).unwrap();
    bytes[18] = 183; // EM_AARCH64
    std::fs::write(fx.path("M/liba.so"), bytes).unwrap();
    let (ours, real) = both(&fx, &root, &[], fx.dir.path());
    assert!(real.ok);
    let a = find(&ours.needed, "liba.so").unwrap();
    assert!(a.path.as_deref().unwrap().contains("/A/"));
}

#[test]
fn a_file_with_a_bad_header_stops_the_search() {
    let fx = Fx::new();
    let rp = format!(
        "-Wl,-rpath,{}:{}:{}",
        s(&fx.path("B")),
        s(&fx.path("X")),
        s(&fx.path("A"))
    );
    let root = chain(&fx, "A", "B", &[], &[RPATH, &rp]);
    fx.mkdir("X");
    std::fs::write(fx.path("X/liba.so"), vec![b'#'; 4096]).unwrap();
    let (ours, real) = both(&fx, &root, &[], fx.dir.path());
    assert!(real.error.contains("invalid ELF header"), "{real:?}");
    let a = find(&ours.needed, "liba.so").unwrap();
    assert!(
        a.error
            .as_ref()
            .unwrap()
            .to_string()
            .contains("invalid ELF header")
    );
}

#[test]
fn a_needed_entry_with_a_slash_is_opened_directly() {
    let fx = Fx::new();
    // liba.so without a soname: linked by path, the linker records the path as given.
    std::fs::create_dir_all(fx.path("A")).unwrap();
    let status = std::process::Command::new("gcc")
        .args(["-shared", "-fPIC", "-o"])
        .arg(fx.path("A/liba.so"))
        .arg(Path::new(support::FIXTURES).join("a.c"))
        .status()
        .unwrap();
    assert!(status.success());
    let b = fx.path("B/libb.so");
    std::fs::create_dir_all(fx.path("B")).unwrap();
    let status = std::process::Command::new("gcc")
        .args(["-shared", "-fPIC", "-o"])
        .arg(&b)
        .arg(Path::new(support::FIXTURES).join("b.c"))
        .arg(fx.path("A/liba.so"))
        .status()
        .unwrap();
    assert!(status.success());
    let (ours, real) = both(&fx, &b, &[], fx.dir.path());
    assert!(real.ok, "{real:?}");
    assert_eq!(ours.needed[0].found_via, Some(FoundVia::DirectPath));
}

#[test]
fn a_missing_symbol_version_is_reported_with_the_newest_available() {
    let fx = Fx::new();
    let v2 = format!("-Wl,--version-script,{}/v2.map", support::FIXTURES);
    fx.lib("versioned.c", "V/libversioned.so", &[&v2]);
    let rp = format!("-Wl,-rpath,{}", s(&fx.path("V")));
    let user = fx.lib(
        "uses_versioned.c",
        "U/libuses.so",
        &[&format!("-L{}", s(&fx.path("V"))), "-lversioned", &rp],
    );
    let v1 = format!("-Wl,--version-script,{}/v1.map", support::FIXTURES);
    fx.lib("versioned.c", "V/libversioned.so", &[&v1]);
    let (ours, real) = both(&fx, &user, &[], fx.dir.path());
    assert!(real.error.contains("version `V_2' not found"), "{real:?}");
    let p = &ours
        .needed
        .iter()
        .find(|l| l.soname == "libversioned.so")
        .unwrap()
        .version_problems;
    assert_eq!(p[0].version, "V_2");
    assert_eq!(p[0].newest_available.as_deref(), Some("V_1"));
}

#[test]
fn nodeflib_skips_the_cache_and_the_system_dirs() {
    let fx = Fx::new();
    let root = fx.lib(
        "a.c",
        "N/libn.so",
        &["-Wl,--no-as-needed", "-lz", "-Wl,-z,nodefaultlib"],
    );
    let (ours, real) = both(&fx, &root, &[], fx.dir.path());
    assert!(!real.ok, "{real:?}");
    assert_eq!(
        ours.needed
            .iter()
            .find(|l| l.soname == "libz.so.1")
            .unwrap()
            .path,
        None
    );
}

#[test]
fn origin_of_a_library_is_the_directory_it_was_opened_from_not_its_symlink_target() {
    let fx = Fx::new();
    let root = chain(
        &fx,
        "Y/lib",
        "Y/lib",
        &[],
        &[RPATH, "-Wl,-rpath,$ORIGIN/lib"],
    );
    // root.so is in root/; a symlink Y/root.so points to it; the libs sit in Y/lib only.
    let link = fx.path("Y/root.so");
    std::os::unix::fs::symlink(&root, &link).unwrap();
    let (ours, real) = both(&fx, &link, &[], fx.dir.path());
    assert!(real.ok, "{real:?}");
    assert_eq!(
        find(&ours.needed, "libb.so").unwrap().found_via,
        Some(FoundVia::Rpath)
    );
}

#[test]
fn platform_and_lib_tokens_expand_like_the_loader() {
    let fx = Fx::new();
    let ctx = Loaders::from_request(&fx.request(&[], fx.dir.path())).host();
    let platform = ctx.platform.clone().expect("platform known");
    let root = chain(
        &fx,
        &format!("P/{platform}"),
        "P",
        &[],
        &[RPATH, "-Wl,-rpath,$ORIGIN/../P/$PLATFORM:$ORIGIN/../P"],
    );
    let (ours, real) = both(&fx, &root, &[], fx.dir.path());
    assert!(real.ok, "{real:?}");
    assert!(
        find(&ours.needed, "liba.so")
            .unwrap()
            .path
            .as_deref()
            .unwrap()
            .contains(&platform)
    );
}

#[test]
fn a_glibc_hwcaps_subdirectory_wins_over_its_parent() {
    let fx = Fx::new();
    let ctx = Loaders::from_request(&fx.request(&[], fx.dir.path())).host();
    let Some(level) = ctx.hwcaps.last().cloned() else {
        skip::skip("no active glibc-hwcaps subdirectory on this CPU/loader");
        return;
    };
    let rp = format!("-Wl,-rpath,{}", s(&fx.path("H")));
    let root = chain(&fx, "H", "H", &[], &[RPATH, &rp]);
    fx.lib(
        "a.c",
        &format!("H/glibc-hwcaps/{level}/liba.so"),
        &["-DWHICH=2"],
    );
    let (ours, real) = both(&fx, &root, &[], fx.dir.path());
    assert!(real.ok);
    assert!(
        find(&ours.needed, "liba.so")
            .unwrap()
            .path
            .as_deref()
            .unwrap()
            .contains("glibc-hwcaps")
    );
}

#[test]
fn the_cache_finds_system_libraries_like_the_loader() {
    let fx = Fx::new();
    let root = fx.lib("a.c", "Z/libz-user.so", &["-Wl,--no-as-needed", "-lz"]);
    let (ours, real) = both(&fx, &root, &[], fx.dir.path());
    assert!(real.ok);
    let z = ours
        .needed
        .iter()
        .find(|l| l.soname == "libz.so.1")
        .unwrap();
    assert_eq!(z.found_via, Some(FoundVia::LdSoCache));
    assert!(real.loaded.contains(z.path.as_ref().unwrap()));
}

#[test]
fn an_object_loaded_by_an_earlier_import_satisfies_a_later_one_latently() {
    let fx = Fx::new();
    let root = chain(
        &fx,
        "A",
        "B",
        &[],
        &[RPATH, &format!("-Wl,-rpath,{}", s(&fx.path("B")))],
    );
    // First import: a library whose RUNPATH finds liba.so.
    let first = fx.lib(
        "b.c",
        "F/libfirst.so",
        &[
            &format!("-L{}", s(&fx.path("A"))),
            "-la",
            RUNPATH,
            &format!("-Wl,-rpath,{}", s(&fx.path("A"))),
        ],
    );
    let real = fx.real_dlopen(&[&first, &root], &[], fx.dir.path());
    assert!(real.ok, "{real:?}");
    let alone = fx.real_dlopen(&[&root], &[], fx.dir.path());
    assert!(!alone.ok);
    let ctx = Loaders::from_request(&fx.request(&[], fx.dir.path()))
        .host()
        .with_preloaded(vec![fx.path("A/liba.so")]);
    let ours = Resolver::new(ctx).resolve(&root);
    let a = find(&ours.needed, "liba.so").unwrap();
    assert_eq!(a.found_via, Some(FoundVia::AlreadyLoaded));
    assert!(a.latent);
    let f = loader_findings::findings(std::slice::from_ref(&ours));
    assert!(f.iter().all(|f| f.latent) && !f.is_empty());
}

#[test]
fn a_missing_library_lists_every_directory_tried_in_order() {
    let fx = Fx::new();
    let rp = format!("-Wl,-rpath,{}", s(&fx.path("R")));
    let root = chain(&fx, "A", "B", &[], &[RPATH, &rp]);
    std::fs::remove_file(fx.path("A/liba.so")).unwrap();
    std::fs::create_dir_all(fx.path("B")).unwrap();
    let rp_b = format!("-Wl,-rpath,{}", s(&fx.path("B")));
    let root2 = fx.lib(
        "root.c",
        "root/root2.so",
        &[&format!("-L{}", s(&fx.path("B"))), "-lb", RPATH, &rp, &rp_b],
    );
    let _ = root;
    let (ours, real) = both(
        &fx,
        &root2,
        &[("LD_LIBRARY_PATH", "/nonexistent-llp")],
        fx.dir.path(),
    );
    assert!(real.error.contains("liba.so"));
    let a = find(&ours.needed, "liba.so").unwrap();
    let r = format!("{}/", s(&fx.path("R")));
    let b = format!("{}/", s(&fx.path("B")));
    assert_eq!(&a.tried[..3], &[r, b, "/nonexistent-llp/".to_string()]);
    let f = loader_findings::findings(std::slice::from_ref(&ours));
    assert_eq!(f[0].kind, CauseKind::MissingSharedLibrary);
    assert_eq!(f[0].library.as_deref(), Some("liba.so"));
    assert!(f[0].required_by.as_deref().unwrap().ends_with("libb.so"));
}

#[test]
fn an_executable_stack_is_a_finding_only_for_glibc_2_41_and_later() {
    let fx = Fx::new();
    let root = fx.lib("a.c", "S/libstack.so", &["-Wl,-z,execstack"]);
    let mut ctx = Loaders::from_request(&fx.request(&[], fx.dir.path())).host();
    ctx.glibc_version = Some("2.40".into());
    assert!(!Resolver::new(ctx.clone()).resolve(&root).executable_stack);
    ctx.glibc_version = Some("2.41".into());
    let ours = Resolver::new(ctx).resolve(&root);
    assert!(ours.executable_stack);
    let f = loader_findings::findings(std::slice::from_ref(&ours));
    assert_eq!(f[0].kind, CauseKind::ExecutableStack);
}

#[test]
fn each_dir_tried_says_which_list_it_came_from_and_a_repeated_dir_is_listed_once() {
    let fx = Fx::new();
    // libb and the root both carry B and R in their DT_RPATH: the loader walks libb's
    // list, then the root's, meeting B and R twice; liba (removed) is in neither.
    let both_dirs = format!("-Wl,-rpath,{}:{}", s(&fx.path("B")), s(&fx.path("R")));
    let root = chain(&fx, "A", "B", &[RPATH, &both_dirs], &[RPATH, &both_dirs]);
    std::fs::remove_file(fx.path("A/liba.so")).unwrap();
    std::fs::create_dir_all(fx.path("R")).unwrap();
    let (ours, real) = both(
        &fx,
        &root,
        &[("LD_LIBRARY_PATH", "/nonexistent-llp")],
        fx.dir.path(),
    );
    assert!(real.error.contains("liba.so"));
    let a = find(&ours.needed, "liba.so").unwrap();
    assert_eq!(a.tried.len(), a.tried_via.len());
    let b = format!("{}/", s(&fx.path("B")));
    let r = format!("{}/", s(&fx.path("R")));
    let libb = format!("rpath of {}", s(&fx.path("B/libb.so")));
    assert_eq!(
        &a.tried[..3],
        &[b.clone(), r.clone(), "/nonexistent-llp/".to_string()]
    );
    assert_eq!(
        &a.tried_via[..3],
        &[libb.clone(), libb, "ld_library_path".into()]
    );
    assert!(a.tried_via[3..].iter().all(|v| v == "default-dir"));
    assert_eq!(a.tried.iter().filter(|d| **d == b).count(), 1);
    let json = serde_json::to_value(a).unwrap();
    assert_eq!(json["tried_via"].as_array().unwrap().len(), a.tried.len());
}
