//! The built-in rule database: it loads, ids are unique and well-formed, every cause kind is
//! covered, every rule behaves on its own examples.

use std::collections::BTreeSet;

use pydoctor::evidence::CauseKind;
use pydoctor::rules::Database;
use pydoctor::rules::model::RuleStatus;

fn builtin() -> Database {
    Database::builtin().unwrap_or_else(|e| panic!("built-in rules must load: {e}"))
}

#[test]
fn builtin_rules_load() {
    assert!(builtin().rules().len() >= 15);
}

#[test]
fn every_rule_behaves_on_its_own_examples() {
    let failures = builtin().check_examples();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn rule_ids_and_names_are_unique() {
    let db = builtin();
    let ids: BTreeSet<_> = db.rules().iter().map(|r| &r.doc.id).collect();
    let names: BTreeSet<_> = db.rules().iter().map(|r| &r.doc.name).collect();
    assert_eq!(ids.len(), db.rules().len());
    assert_eq!(names.len(), db.rules().len());
}

#[test]
fn rule_files_are_named_after_id_and_name() {
    for rule in builtin().rules() {
        let expected = format!("rules/diagnoses/{}-{}.toml", rule.doc.id, rule.doc.name);
        assert_eq!(rule.file, expected);
    }
}

#[test]
fn every_cause_kind_but_unknown_has_an_active_rule() {
    let db = builtin();
    for kind in CauseKind::ALL {
        if kind == CauseKind::Unknown {
            continue;
        }
        assert!(
            db.rules()
                .iter()
                .any(|r| r.doc.kind == kind && r.doc.status == RuleStatus::Active),
            "no rule for {kind}"
        );
    }
}

#[test]
fn no_rule_is_a_catch_all_for_unknown_failures() {
    // An unexplained failure must stay `undiagnosed` (exit 3), not be hidden by a rule. The
    // one rule of kind `unknown` is the hang's (PD541), which takes only a finding that
    // carries the time limit the import outlived.
    for rule in builtin().rules() {
        if rule.doc.kind == CauseKind::Unknown {
            assert_eq!(
                rule.doc.when.timed_out,
                Some(true),
                "{} is a catch-all",
                rule.doc.id
            );
        }
    }
}

#[test]
fn the_nixpkgs_table_knows_the_common_sonames() {
    let db = builtin();
    let attr = |s: &str| db.tables.nixpkgs(s).and_then(|e| e.attr.clone());
    assert_eq!(attr("libstdc++.so.6").as_deref(), Some("stdenv.cc.cc.lib"));
    assert_eq!(attr("libz.so.1").as_deref(), Some("zlib"));
    let bz = db.tables.nixpkgs("libbz2.so.1.0").expect("libbz2.so.1.0");
    assert!(
        bz.note
            .as_deref()
            .unwrap_or("")
            .contains("not provided by bzip2")
    );
    assert!(db.tables.nixpkgs("libc.so.6").is_some_and(|e| e.glibc));
    assert_eq!(
        db.tables
            .distro("libstdc++.so.6")
            .map(|e| e.debian.as_str()),
        Some("libstdc++6")
    );
}

#[test]
fn an_example_that_does_not_behave_is_reported() {
    use pydoctor::rules::files::RuleFile;
    let text = r#"
id = "PD990"
name = "never-matches"
kind = "missing-shared-library"
summary = "s"
explanation = "e"
[when]
library = '^libnothing\.so'
[[example]]
name = "claims to match libz"
match = true
[[example.finding]]
kind = "missing-shared-library"
library = "libz.so.1"
"#;
    let file = RuleFile {
        name: "extra/PD990.toml".into(),
        text: text.into(),
    };
    let db = Database::from_files(&[file]).expect("loads");
    let failures = db.check_examples();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(failures[0].contains("claims to match libz"));
    assert!(failures[0].contains("does not match"));
}
