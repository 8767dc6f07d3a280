//! docs/schema.json validated against real output: `pydoctor rules` (list, one rule, error
//! document) and a report with diagnoses built in-process; and the schema really requires the
//! contract's fields.

mod report_fixture;

use assert_cmd::Command;
use serde_json::Value;

fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/schema.json"))
        .expect("docs/schema.json");
    let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    jsonschema::validator_for(&schema).expect("schema compiles")
}

fn assert_valid(doc: &Value) {
    let validator = schema();
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}\n{doc:#}", errors.join("\n"));
}

fn json_of(args: &[&str], code: i32) -> Value {
    let output = Command::cargo_bin("pydoctor")
        .unwrap()
        .env_clear()
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(code));
    serde_json::from_slice(&output.stdout).expect("one JSON document on stdout")
}

#[test]
fn rules_list_json_is_valid() {
    let doc = json_of(&["rules"], 0);
    assert_valid(&doc);
    assert_eq!(doc["command"], "rules");
    let first = &doc["extra"]["rules"][0];
    for key in ["id", "name", "kind", "summary", "status"] {
        assert!(first.get(key).is_some(), "rule list entries carry {key}");
    }
}

#[test]
fn one_rule_json_is_valid() {
    let doc = json_of(&["rules", "PD101"], 0);
    assert_valid(&doc);
    assert_eq!(doc["extra"]["rule"]["id"], "PD101");
}

#[test]
fn error_document_is_valid() {
    let doc = json_of(&["rules", "PD999"], 2);
    assert_valid(&doc);
    assert!(doc["error"]["message"].as_str().unwrap().contains("PD999"));
}

#[test]
fn a_report_with_diagnoses_is_valid() {
    let report = report_fixture::nix_python_report();
    let mut out = Vec::new();
    pydoctor::report::json::render(&report, &mut out).unwrap();
    let doc: Value = serde_json::from_slice(&out).unwrap();
    assert_valid(&doc);
    assert_eq!(doc["status"], "problems");
    assert_eq!(doc["diagnoses"][0]["fixes"][0]["verified"], "verified");
}

#[test]
fn the_schema_requires_the_contract_fields() {
    let report = report_fixture::nix_python_report();
    let doc = serde_json::to_value(&report).unwrap();
    let validator = schema();
    let pointers = [
        "/schema_version",
        "/environment/python/loader_flavor",
        "/environment/nix_ld/library_path",
        "/environment/os/nixos",
        "/diagnoses/0/fixes/0/verified",
        "/diagnoses/0/required_by",
        "/failure",
    ];
    for pointer in pointers {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let mut broken = doc.clone();
        let target = if parent.is_empty() {
            &mut broken
        } else {
            broken.pointer_mut(parent).unwrap()
        };
        target.as_object_mut().unwrap().remove(key);
        assert!(
            !validator.is_valid(&broken),
            "schema must require {pointer}"
        );
    }
}
