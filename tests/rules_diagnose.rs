//! Diagnoses rendered for a machine: the right rule first, fixes in an order that can work
//! in that environment, grouped findings, verification through the verifier.

use std::cell::RefCell;
use std::path::PathBuf;

use pydoctor::evidence::{
    CauseKind, Evidence, FhsLoaderKind, Finding, FindingSource, LoaderFlavor, PythonKind,
};
use pydoctor::outcome::{Diagnosis, Verification};
use pydoctor::rules::{Database, FixContext, FixPlan, FixVerifier, NoVerifier};

const UMATH: &str = "/home/u/p/.venv/lib/python3.12/site-packages/numpy/_core/_multiarray_umath.cpython-312-x86_64-linux-gnu.so";

/// Says `verified` when the plan brings every directory it was told about, and records plans.
struct DirsVerifier {
    needed: Vec<PathBuf>,
    seen: RefCell<Vec<FixPlan>>,
}

impl FixVerifier for DirsVerifier {
    fn verify(&self, plan: &FixPlan) -> Verification {
        self.seen.borrow_mut().push(plan.clone());
        if self.needed.iter().all(|d| plan.library_dirs.contains(d)) {
            Verification::Verified
        } else {
            Verification::Partial
        }
    }
}

fn missing(library: &str) -> Finding {
    Finding::new(
        CauseKind::MissingSharedLibrary,
        FindingSource::Elf,
        format!("{library} not found"),
    )
    .library(library)
    .required_by(UMATH)
}

fn evidence(
    kind: PythonKind,
    flavor: LoaderFlavor,
    nixos: bool,
    loader: FhsLoaderKind,
) -> Evidence {
    let mut ev = Evidence::default();
    ev.environment.python.kind = kind;
    ev.environment.python.loader_flavor = flavor;
    ev.environment.python.version = Some("3.12.11".into());
    // As the evidence makers do: the attribute comes with the version.
    ev.environment.python.nix_attribute = Some("python312".into());
    ev.environment.python.venv = Some("/home/u/p/.venv".into());
    ev.environment.os.nixos = Some(nixos);
    ev.environment.nix_ld.fhs_loader = Some(loader);
    ev.findings = vec![missing("libstdc++.so.6"), missing("libz.so.1")];
    ev
}

fn store(soname: &str) -> Vec<PathBuf> {
    match soname {
        "libstdc++.so.6" => vec![PathBuf::from(
            "/nix/store/aaaa-gcc-14.3.0-lib/lib/libstdc++.so.6",
        )],
        "libz.so.1" => vec![PathBuf::from("/nix/store/bbbb-zlib-1.3.1/lib/libz.so.1")],
        _ => Vec::new(),
    }
}

fn diagnose(
    ev: &Evidence,
    verifier: &dyn FixVerifier,
    store_paths: &dyn Fn(&str) -> Vec<PathBuf>,
) -> Vec<Diagnosis> {
    let db = Database::builtin().expect("built-in rules");
    db.diagnose(ev, &FixContext::new(store_paths, verifier))
}

fn fix_ids(d: &Diagnosis) -> Vec<&str> {
    d.fixes.iter().map(|f| f.id.as_str()).collect()
}

#[test]
fn nix_python_missing_libstdcxx_and_libz_is_one_diagnosis_with_ld_library_path_first() {
    let ev = evidence(
        PythonKind::NixStore,
        LoaderFlavor::NixGlibc,
        true,
        FhsLoaderKind::NixLd,
    );
    let verifier = DirsVerifier {
        needed: vec![
            PathBuf::from("/nix/store/aaaa-gcc-14.3.0-lib/lib"),
            PathBuf::from("/nix/store/bbbb-zlib-1.3.1/lib"),
        ],
        seen: RefCell::new(Vec::new()),
    };
    let diagnoses = diagnose(&ev, &verifier, &store);
    assert_eq!(diagnoses.len(), 1, "{diagnoses:#?}");
    let d = &diagnoses[0];
    assert_eq!(d.kind, CauseKind::MissingSharedLibrary);
    assert_eq!(d.rule, "PD101");
    assert_eq!(d.library.as_deref(), Some("libstdc++.so.6"));
    assert_eq!(d.libraries, ["libstdc++.so.6", "libz.so.1"]);
    assert_eq!(
        d.summary,
        "libstdc++.so.6 and libz.so.1 cannot be found by the Nix loader"
    );

    let first = &d.fixes[0];
    assert_eq!(first.id, "ld-library-path");
    assert_eq!(first.verified, Verification::Verified);
    let snippet = first.snippet.as_deref().unwrap();
    assert!(
        snippet.contains("/nix/store/aaaa-gcc-14.3.0-lib/lib:/nix/store/bbbb-zlib-1.3.1/lib"),
        "{snippet}"
    );
    assert!(snippet.contains("${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"));
    let plan = &verifier.seen.borrow()[0];
    assert_eq!(plan.fix_id, "ld-library-path");
    assert_eq!(plan.env[0].0, "LD_LIBRARY_PATH");

    // nix-ld never first for a Nix-store python, and only together with an FHS python.
    let ids = fix_ids(d);
    assert_ne!(ids[0], "nix-ld");
    assert!(!ids.contains(&"nix-ld"));
    // Switching pythons recreates the venv: never offered from evidence that was not seen
    // failing on this machine.
    assert!(!ids.contains(&"uv-python"), "{ids:?}");
    // fix-python does not follow symlinks (fine for a Nix python's venv); buildFHSEnv, not
    // buildFHSUserEnv; uv2nix.
    let text = |id: &str| {
        let f = d.fixes.iter().find(|f| f.id == id).unwrap();
        format!(
            "{} {}",
            f.snippet.clone().unwrap_or_default(),
            f.note.clone().unwrap_or_default()
        )
    };
    assert!(text("fix-python").contains("does not follow symlinks"));
    assert!(text("fhs-env").contains("buildFHSEnv {"));
    assert!(text("fhs-env").contains("stdenv.cc.cc.lib zlib"));
    assert!(text("lang2nix").contains("uv2nix"));
    assert!(text("nixpkgs-python").contains("python312.withPackages (ps: [ ps.numpy ])"));
    assert!(d.explanation.contains("import"), "import-order warning");
}

#[test]
fn without_local_store_paths_the_fix_builds_them_and_is_not_checked() {
    let ev = evidence(
        PythonKind::NixStore,
        LoaderFlavor::NixGlibc,
        false,
        FhsLoaderKind::Absent,
    );
    let none = |_: &str| Vec::new();
    let d = &diagnose(&ev, &NoVerifier, &none)[0];
    let fix = &d.fixes[0];
    assert_eq!(fix.id, "ld-library-path");
    assert_eq!(fix.verified, Verification::NotChecked);
    let snippet = fix.snippet.as_deref().unwrap();
    assert!(
        snippet.contains("$(nix build --no-link --print-out-paths nixpkgs#stdenv.cc.cc.lib)/lib"),
        "{snippet}"
    );
    assert!(snippet.contains("nixpkgs#zlib)/lib"), "{snippet}");
    // Not on NixOS: no nix-ld in any form.
    assert!(!fix_ids(d).contains(&"uv-python"));
}

#[test]
fn pyenv_python_on_nixos_with_nix_ld_gets_nix_ld_first_with_the_exact_list() {
    let ev = evidence(
        PythonKind::Pyenv,
        LoaderFlavor::FhsGlibc,
        true,
        FhsLoaderKind::NixLd,
    );
    let d = &diagnose(&ev, &NoVerifier, &store)[0];
    assert_eq!(d.rule, "PD102");
    let first = &d.fixes[0];
    assert_eq!(first.id, "nix-ld");
    let snippet = first.snippet.as_deref().unwrap();
    assert!(
        snippet.contains("programs.nix-ld.libraries = with pkgs; [ stdenv.cc.cc.lib zlib ];"),
        "{snippet}"
    );
    assert!(!snippet.contains("glibc"));
}

#[test]
fn debian_gets_the_distro_package() {
    let ev = evidence(
        PythonKind::Pyenv,
        LoaderFlavor::FhsGlibc,
        false,
        FhsLoaderKind::Glibc,
    );
    let d = &diagnose(&ev, &NoVerifier, &store)[0];
    assert_eq!(d.rule, "PD104");
    assert_eq!(d.fixes[0].id, "distro-package");
    let snippet = d.fixes[0].snippet.as_deref().unwrap();
    assert!(
        snippet.contains("sudo apt-get install libstdc++6 zlib1g"),
        "{snippet}"
    );
}

#[test]
fn glibc_is_never_listed_for_nix_ld() {
    let mut ev = evidence(
        PythonKind::UvManaged,
        LoaderFlavor::FhsGlibc,
        true,
        FhsLoaderKind::NixLd,
    );
    ev.findings.push(missing("libm.so.6"));
    let d = &diagnose(&ev, &NoVerifier, &store)[0];
    let snippet = d.fixes[0].snippet.as_deref().unwrap();
    assert!(!snippet.contains("glibc"), "{snippet}");
}

#[test]
fn latent_findings_are_not_diagnosed_and_unknown_failures_stay_undiagnosed() {
    let mut ev = evidence(
        PythonKind::NixStore,
        LoaderFlavor::NixGlibc,
        true,
        FhsLoaderKind::NixLd,
    );
    for f in &mut ev.findings {
        f.latent = true;
    }
    ev.findings.push(Finding::new(
        CauseKind::Unknown,
        FindingSource::Text,
        "something odd",
    ));
    assert!(diagnose(&ev, &NoVerifier, &store).is_empty());
}

#[test]
fn an_interpreter_that_cannot_start_is_diagnosed_first() {
    let mut ev = evidence(
        PythonKind::UvManaged,
        LoaderFlavor::FhsGlibc,
        true,
        FhsLoaderKind::StubLd,
    );
    ev.findings.push(Finding::new(
        CauseKind::InterpreterCannotStart,
        FindingSource::Probe,
        "stub-ld",
    ));
    let diagnoses = diagnose(&ev, &NoVerifier, &store);
    assert_eq!(diagnoses[0].kind, CauseKind::InterpreterCannotStart);
    assert_eq!(diagnoses[0].rule, "PD601");
}

#[test]
fn unknown_sonames_get_a_pointer_to_nix_locate() {
    let mut ev = evidence(
        PythonKind::NixStore,
        LoaderFlavor::NixGlibc,
        true,
        FhsLoaderKind::NixLd,
    );
    ev.findings = vec![missing("libfrobnicate.so.3")];
    let d = &diagnose(&ev, &NoVerifier, &store)[0];
    let note = d.fixes[0].note.as_deref().unwrap();
    assert!(note.contains("nix-locate"), "{note}");
}

/// A machine where every program and path exists, and no GC root holds anything.
struct Unrooted;

impl pydoctor::rules::runnable::Machine for Unrooted {
    fn has_command(&self, _: &str) -> bool {
        true
    }
    fn path_exists(&self, _: &std::path::Path) -> bool {
        true
    }
    fn is_rooted(&self, _: &std::path::Path) -> Option<bool> {
        Some(false)
    }
}

#[test]
fn store_paths_no_gc_root_holds_are_pinned_by_the_fix_and_said_to_be_at_risk() {
    let mut ev = evidence(
        PythonKind::NixStore,
        LoaderFlavor::NixGlibc,
        true,
        FhsLoaderKind::NixLd,
    );
    ev.environment.store_dir = Some("/nix/store".into());
    ev.environment.source = pydoctor::evidence::EnvSource::Probed;
    let verifier = DirsVerifier {
        needed: Vec::new(),
        seen: RefCell::new(Vec::new()),
    };
    let d = &Database::builtin().unwrap().diagnose(
        &ev,
        &FixContext::new(&store, &verifier).on_machine(&Unrooted),
    )[0];
    let f = d.fixes.iter().find(|f| f.id == "ld-library-path").unwrap();
    let snippet = f.snippet.as_deref().unwrap();
    assert!(
        snippet.contains(
            "nix-store --add-root /home/u/p/.venv/.gcroots/aaaa-gcc-14.3.0-lib --indirect --realise /nix/store/aaaa-gcc-14.3.0-lib"
        ),
        "{snippet}"
    );
    let note = f.note.as_deref().unwrap();
    assert!(note.contains("nix-collect-garbage"), "{note}");
    assert_eq!(f.checked, ["commands", "paths", "resolver"]);
    // On this machine a destructive fix may be offered: the venv is recreated keeping its
    // packages, and only after the list was saved and is not empty.
    let uv = d.fixes.iter().find(|f| f.id == "uv-python").unwrap();
    let recipe = uv.snippet.as_deref().unwrap();
    assert!(
        recipe.contains("> /home/u/p/.venv.requirements.txt"),
        "{recipe}"
    );
    assert!(
        recipe.contains("&& test -s /home/u/p/.venv.requirements.txt"),
        "{recipe}"
    );
    assert!(
        recipe.contains("&& uv venv --clear --managed-python"),
        "{recipe}"
    );
}
