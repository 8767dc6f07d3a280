//! The paste parser on hostile text: bounded reading (with a small limit so the tail logic
//! runs), cleaning, traceback chains, findings, rule matching and the JSON of the report.
//! The rule database is built once (building it per input would be all the fuzzer measures).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use pydoctor::evidence::Evidence;
use pydoctor::outcome::{Command, Report};
use pydoctor::request::Request;
use pydoctor::rules::{Database, FixContext, NoVerifier};
use pydoctor::source::input::read_bounded;
use pydoctor::source::text::analyse;

fn database() -> &'static Database {
    static DB: OnceLock<Database> = OnceLock::new();
    DB.get_or_init(|| Database::builtin().unwrap())
}

fuzz_target!(|data: &[u8]| {
    let _ = read_bounded(data, 1 + data.len() / 2);
    let input = read_bounded(data, 1 << 20).unwrap();
    let text = analyse(&input.text, &Request::default()).unwrap();
    let evidence = Evidence {
        environment: text.environment.clone(),
        failure: text.main_failure().cloned(),
        findings: text.findings.clone(),
        module: None,
    };
    let diagnoses = database().diagnose(
        &evidence,
        &FixContext {
            store_paths: &|_| Vec::new(),
            verifier: &NoVerifier,
        },
    );
    let mut report = Report::new(Command::Explain, evidence.environment);
    report.failure = evidence.failure;
    report.findings = evidence.findings;
    report.diagnoses = diagnoses;
    report.settle_status();
    let mut out = Vec::new();
    pydoctor::report::json::render(&report, &mut out).unwrap();
    let value: serde_json::Value = serde_json::from_slice(&out).expect("whole JSON");
    assert_eq!(value["schema_version"], 1);
});
