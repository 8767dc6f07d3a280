//! Snapshots of the human report of `fix`, one per action, built in-process from the
//! representative Nix-python diagnosis (numpy misses libstdc++.so.6 and libz.so.1) and the
//! outcome `fix` would give it; and the same outcome as JSON, valid against the schema.

mod report_fixture;

use pydoctor::cli::Format;
use pydoctor::fix::manifest::{FileChange, Library};
use pydoctor::fix::pin::Pin;
use pydoctor::fix::{FixAction, FixOutcome, ModuleImport, declarative};
use pydoctor::outcome::{Command, Status};
use pydoctor::report::{self, Report, Style};
use report_fixture::nix_python_report;

const SITE: &str = "/home/u/proj/.venv/lib/python3.12/site-packages";
const GCC_LIB: &str = "/nix/store/qsbsjbfvmb8pnyv0xx0w5q8iyl1zhb1n-gcc-13.3.0-lib";
const ZLIB: &str = "/nix/store/r8fbf6djlxw8ilhz8zwjrnc2zp3cqy3z-zlib-1.3.1";

fn outcome(action: FixAction) -> FixOutcome {
    let library = |soname: &str, store: &str| Library {
        soname: soname.into(),
        path: format!("{store}/lib/{soname}"),
        store_path: Some(store.into()),
    };
    let change = |name: &str| FileChange {
        path: format!("{SITE}/{name}"),
        before: None,
        after: format!("sha256:{}", "0".repeat(64)),
    };
    FixOutcome {
        manifest: Some("/home/u/proj/.venv/.pydoctor-fix/manifest.json".into()),
        venv: Some("/home/u/proj/.venv".into()),
        libraries: vec![library("libstdc++.so.6", GCC_LIB), library("libz.so.1", ZLIB)],
        changes: vec![change("_pydoctor_fix.py"), change("_pydoctor_fix.pth")],
        verification: vec![ModuleImport {
            module: "numpy".into(),
            ok: action != FixAction::RolledBack,
            error: (action == FixAction::RolledBack)
                .then(|| "ImportError: libfoo.so.1: cannot open shared object file".into()),
        }],
        pins: vec![
            Pin {
                store_path: GCC_LIB.into(),
                root: Some(format!("/home/u/proj/.venv/.pydoctor-fix/gcroots/{}", &GCC_LIB[11..])),
                pinned: true,
                note: None,
            },
            Pin {
                store_path: ZLIB.into(),
                root: None,
                pinned: false,
                note: Some("nix-store: path is not valid; the path is not pinned".into()),
            },
        ],
        declarative: declarative(&["stdenv.cc.cc.lib".into(), "zlib".into()]),
        reason: match action {
            FixAction::RolledBack => Some("the import still fails with the fix in place, so everything was taken back".into()),
            FixAction::CannotApply => Some("the fix for this set-up changes the system or your configuration, which pydoctor fix does not touch".into()),
            _ => None,
        },
        fixed_on: Some("2026-12-01T09:55:00Z".into()),
        ..FixOutcome::new(action)
    }
}

fn report_for(action: FixAction) -> Report {
    let mut report = nix_python_report();
    report.command = Command::Fix;
    report.status = match action {
        FixAction::DryRun | FixAction::CannotApply | FixAction::RolledBack => Status::Problems,
        _ => Status::Ok,
    };
    report.fix = Some(outcome(action));
    report
}

fn rendered(report: &Report, format: Format) -> String {
    let mut out = Vec::new();
    report::render(report, format, &Style::plain(), &mut out).expect("render");
    String::from_utf8(out).expect("utf-8")
}

#[test]
fn human_fix_reports_for_each_action() {
    let mut all = String::new();
    for action in [
        FixAction::Applied,
        FixAction::DryRun,
        FixAction::RolledBack,
        FixAction::Undone,
        FixAction::NothingToUndo,
    ] {
        all.push_str(&format!(
            "=== {action:?}\n{}\n",
            rendered(&report_for(action), Format::Human)
        ));
    }
    insta::assert_snapshot!("human_fix_actions", all);
}

#[test]
fn human_fix_report_that_cannot_apply_shows_the_diagnosis_first() {
    let text = rendered(&report_for(FixAction::CannotApply), Format::Human);
    assert!(
        text.starts_with("✗ problem: libstdc++.so.6 and libz.so.1"),
        "{text}"
    );
    assert!(
        text.contains("✗ pydoctor fix cannot apply this:\n  the fix for this set-up"),
        "{text}"
    );
    assert!(text.contains("Nothing was changed;"), "{text}");
    assert!(text.trim_end().ends_with("yourself."), "{text}");
}

#[test]
fn json_fix_report_is_valid_against_the_schema() {
    let text = rendered(&report_for(FixAction::Applied), Format::Json);
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(doc["command"], "fix");
    assert_eq!(doc["fix"]["action"], "applied");
    assert_eq!(doc["fix"]["fixed_on"], "2026-12-01T09:55:00Z");
}
