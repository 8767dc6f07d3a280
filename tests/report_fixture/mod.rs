//! A representative report built in-process, shared by the report and schema tests: a nixpkgs
//! python whose numpy wheel misses libstdc++.so.6 and libz.so.1, seen through numpy's
//! misleading "source directory" message, plus one latent finding.

use std::path::PathBuf;

use pydoctor::evidence::{
    CauseKind, ChainLink, EnvSource, Evidence, Failure, FhsLoaderKind, Finding, FindingSource,
    LoaderFlavor, Misleading, PythonKind,
};
use pydoctor::outcome::{Command, Verification};
use pydoctor::report::Report;
use pydoctor::rules::{Database, FixContext, FixPlan, FixVerifier};

const UMATH: &str = "/home/u/p/.venv/lib/python3.12/site-packages/numpy/_core/_multiarray_umath.cpython-312-x86_64-linux-gnu.so";

struct AlwaysVerified;
impl FixVerifier for AlwaysVerified {
    fn verify(&self, _plan: &FixPlan) -> Verification {
        Verification::Verified
    }
}

fn missing(library: &str) -> Finding {
    Finding::new(
        CauseKind::MissingSharedLibrary,
        FindingSource::Elf,
        format!("{library} not found (needed by _multiarray_umath)"),
    )
    .library(library)
    .required_by(UMATH)
}

pub fn nix_python_report() -> Report {
    let mut ev = Evidence::default();
    let env = &mut ev.environment;
    env.source = EnvSource::Probed;
    env.os.nixos = Some(true);
    env.python.executable = Some("/home/u/p/.venv/bin/python".into());
    env.python.version = Some("3.12.11".into());
    env.python.kind = PythonKind::NixStore;
    env.python.venv = Some("/home/u/p/.venv".into());
    env.python.loader = Some("/nix/store/cccc-glibc-2.42-47/lib/ld-linux-x86-64.so.2".into());
    env.python.loader_flavor = LoaderFlavor::NixGlibc;
    env.nix_ld.fhs_loader = Some(FhsLoaderKind::NixLd);
    env.nix_ld.shim = Some(true);
    ev.failure = Some(Failure {
        chain: vec![
            ChainLink {
                exc_type: "ImportError".into(),
                message: "libstdc++.so.6: cannot open shared object file: No such file or directory".into(),
                frames: Vec::new(),
            },
            ChainLink {
                exc_type: "ImportError".into(),
                message: "Error importing numpy: you should not try to import numpy from\n        its source directory; please exit the numpy source tree, and relaunch\n        your python interpreter from there.".into(),
                frames: Vec::new(),
            },
        ],
        misleading: vec![Misleading {
            id: "numpy-source-directory".into(),
            shown: "Error importing numpy: you should not try to import numpy from".into(),
            hidden_cause: "ImportError: libstdc++.so.6: cannot open shared object file: No such file or directory".into(),
            root_missing: false,
        }],
        original_text: None,
    });
    ev.findings = vec![missing("libstdc++.so.6"), missing("libz.so.1")];
    let mut latent = Finding::new(
        CauseKind::MissingSharedLibrary,
        FindingSource::Elf,
        "libgfortran.so.5 is found only through LD_LIBRARY_PATH",
    )
    .library("libgfortran.so.5");
    latent.latent = true;
    ev.findings.push(latent);
    ev.module = Some("numpy".into());

    let store = |soname: &str| match soname {
        "libstdc++.so.6" => vec![PathBuf::from(
            "/nix/store/aaaa-gcc-14.3.0-lib/lib/libstdc++.so.6",
        )],
        "libz.so.1" => vec![PathBuf::from("/nix/store/bbbb-zlib-1.3.1/lib/libz.so.1")],
        _ => Vec::new(),
    };
    let db = Database::builtin().expect("built-in rules");
    let diagnoses = db.diagnose(&ev, &FixContext::new(&store, &AlwaysVerified));
    let mut report = Report::new(Command::Check, ev.environment.clone());
    report.failure = ev.failure.clone();
    report.findings = ev.findings.clone();
    report.diagnoses = diagnoses;
    report.settle_status();
    report
}
