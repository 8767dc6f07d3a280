//! `pydoctor rules` from the command line: the list, one rule, unknown ids, `--rules DIR`
//! with good and malformed files, and docs/rules.md kept in step with rules/.

use assert_cmd::Command;
use predicates::prelude::*;

fn pydoctor() -> Command {
    let mut cmd = Command::cargo_bin("pydoctor").expect("binary");
    cmd.env_clear().env("NO_COLOR", "1");
    cmd
}

const GOOD_RULE: &str = r#"
id = "PD901"
name = "local-rule"
kind = "missing-shared-library"
priority = 500
summary = "{library} is missing (local rule)"
explanation = "A site-specific explanation."
[when]
library = '^libfoo\.so'
[[fix]]
id = "distro-package"
title = "Install foo"
snippet = "sudo apt-get install libfoo1"
[[example]]
name = "foo"
match = true
[[example.finding]]
kind = "missing-shared-library"
library = "libfoo.so.1"
"#;

#[test]
fn rules_lists_every_rule() {
    pydoctor()
        .arg("rules")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("PD101"))
        .stdout(predicate::str::contains("missing-shared-library"));
}

#[test]
fn rules_id_shows_one_rule_in_full() {
    pydoctor()
        .args(["rules", "PD102"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("programs.nix-ld.enable = true;"))
        .stdout(predicate::str::contains("{nix_ld_libraries}"));
}

#[test]
fn rules_with_an_unknown_id_is_a_usage_error() {
    pydoctor()
        .args(["rules", "PD999"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no rule `PD999`"));
}

#[test]
fn rules_dir_adds_rules() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("local.toml"), GOOD_RULE).unwrap();
    pydoctor()
        .arg("--rules")
        .arg(dir.path())
        .args(["rules", "PD901"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("local-rule"));
}

const FROB_PATTERN: &str = r#"
[[pattern]]
id = "frobloader-cannot-find"
kind = "missing-shared-library"
regex = 'frobloader: cannot find (?P<library>lib[\w+-]+\.so[\w.]*)'
detail = "{library} is not found by frobloader"
examples = ["frobloader: cannot find libfrob.so.1"]
"#;

const FROB_PASTE: &str = "Traceback (most recent call last):\n  File \"x.py\", line 1, in <module>\nImportError: frobloader: cannot find libfrob.so.1\n";

#[test]
fn a_rules_dir_text_table_teaches_explain_a_new_message() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("tables")).unwrap();
    std::fs::write(dir.path().join("tables/loader-messages.toml"), FROB_PATTERN).unwrap();
    let paste = dir.path().join("paste.txt");
    std::fs::write(&paste, FROB_PASTE).unwrap();
    // Without the table the message is nobody's: undiagnosed.
    pydoctor().arg("explain").arg(&paste).assert().code(3);
    pydoctor()
        .arg("--rules")
        .arg(dir.path())
        .arg("explain")
        .arg(&paste)
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "libfrob.so.1 cannot be found by the loader",
        ));
}

/// A `--rules` dir whose `tables/NAME` holds `text` is a usage error that says `says`.
fn table_is_refused(name: &str, text: &str, says: &str) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("tables")).unwrap();
    std::fs::write(dir.path().join("tables").join(name), text).unwrap();
    pydoctor()
        .arg("--rules")
        .arg(dir.path())
        .arg("rules")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(says));
}

#[test]
fn a_rules_dir_text_table_with_a_bad_regex_is_a_load_error() {
    let bad = FROB_PATTERN.replace("(?P<library>", "(?P<library");
    table_is_refused(
        "loader-messages.toml",
        &bad,
        "loader-messages.toml:5: field `regex`",
    );
}

#[test]
fn a_misspelt_table_name_in_a_rules_dir_is_an_error() {
    table_is_refused(
        "loader_messages.toml",
        FROB_PATTERN,
        "unknown table `loader_messages.toml`",
    );
}

#[test]
fn a_rules_dir_cannot_change_the_built_in_cause_tables() {
    table_is_refused("causes.toml", "", "the cause tables are built in");
}

#[test]
fn the_fallback_fix_is_worded_by_the_render_table_a_rules_dir_can_replace() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("tables")).unwrap();
    std::fs::write(dir.path().join("tables/loader-messages.toml"), FROB_PATTERN).unwrap();
    let builtin = include_str!("../rules/tables/render.toml");
    let reworded = builtin.replace(
        "title = \"Find the package that ships {soname}\"",
        "title = \"Look up who packages {soname}\"",
    );
    assert_ne!(builtin, reworded);
    std::fs::write(dir.path().join("tables/render.toml"), reworded).unwrap();
    let paste = dir.path().join("paste.txt");
    std::fs::write(&paste, FROB_PASTE).unwrap();
    pydoctor()
        .arg("--rules")
        .arg(dir.path())
        .arg("explain")
        .arg(&paste)
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "Look up who packages libfrob.so.1",
        ))
        .stdout(predicate::str::contains("apt-file search libfrob.so.1"));
}

#[test]
fn the_fallback_fix_is_not_offered_where_nix_is_involved() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("tables")).unwrap();
    std::fs::write(dir.path().join("tables/loader-messages.toml"), FROB_PATTERN).unwrap();
    let paste = dir.path().join("paste.txt");
    let on_nix = FROB_PASTE.replace(
        "\"x.py\"",
        "\"/nix/store/0123456789abcdfghijklmnpqrsvwxyz-python3-3.12.4/lib/python3.12/x.py\"",
    );
    std::fs::write(&paste, on_nix).unwrap();
    let out = pydoctor()
        .arg("--rules")
        .arg(dir.path())
        .arg("explain")
        .arg(&paste)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("apt-file search libfrob.so.1"), "{stdout}");
    // The nixpkgs pointer's condition holds there instead.
    assert!(
        stdout.contains("No nixpkgs attribute is known for\n          libfrob.so.1")
            || stdout.contains("No nixpkgs attribute is known for libfrob.so.1"),
        "{stdout}"
    );
}

/// Write `text` as a rule file and expect exit 2 with `file:line: … field …`.
fn assert_malformed(text: &str, line: usize, field: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, text).unwrap();
    let output = pydoctor()
        .arg("--rules")
        .arg(dir.path())
        .arg("rules")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let first = stderr.lines().next().unwrap_or("");
    let at = format!("{}:{line}:", path.display());
    assert!(first.contains(&at), "want `{at}` in: {stderr}");
    assert!(first.contains(field), "want field `{field}` in: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
}

#[test]
fn an_unknown_key_names_file_line_and_field() {
    let text = GOOD_RULE.replace("priority = 500", "priority = 500\nseverity = \"high\"");
    assert_malformed(&text, 6, "severity");
}

#[test]
fn a_bad_regex_names_file_line_and_field() {
    let text = GOOD_RULE.replace(r"'^libfoo\.so'", "'^libfoo(['");
    assert_malformed(&text, 9, "when.library");
}

#[test]
fn an_unknown_placeholder_names_file_line_and_field() {
    let text = GOOD_RULE.replace("{library} is missing", "{lib} is missing");
    assert_malformed(&text, 6, "summary");
}

#[test]
fn an_unknown_fix_id_names_file_line_and_field() {
    let text = GOOD_RULE.replace("id = \"distro-package\"", "id = \"apt-get\"");
    assert_malformed(&text, 11, "fix.id");
}

#[test]
fn an_unknown_kind_names_file_line_and_field() {
    let text = GOOD_RULE.replace(
        "kind = \"missing-shared-library\"\npriority",
        "kind = \"bad-luck\"\npriority",
    );
    assert_malformed(&text, 4, "bad-luck");
}

#[test]
fn a_duplicate_id_is_refused() {
    let text = GOOD_RULE.replace("PD901", "PD101");
    assert_malformed(&text, 2, "id");
}

#[test]
fn malformed_rules_in_json_mode_print_the_error_document() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.toml"), "id = 3\n").unwrap();
    let output = pydoctor()
        .arg("--rules")
        .arg(dir.path())
        .args(["rules", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("bad.toml:1:")
    );
}

#[test]
fn docs_rules_md_is_not_stale() {
    let output = pydoctor().args(["rules", "--markdown"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let generated = String::from_utf8(output.stdout).unwrap();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/rules.md");
    if std::env::var_os("PYDOCTOR_UPDATE_DOCS").is_some() {
        std::fs::write(path, &generated).unwrap();
    }
    let on_disk = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "docs/rules.md is stale: run `cargo run -- rules --markdown > docs/rules.md` \
         (or this test with PYDOCTOR_UPDATE_DOCS=1)"
    );
}

#[test]
fn colour_only_when_asked_and_never_with_no_color() {
    let out = pydoctor().args(["rules", "PD101"]).output().unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains('\u{1b}'));
    let out = pydoctor()
        .args(["rules", "PD101", "--color", "always"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains('\u{1b}'));
    let mut cmd = Command::cargo_bin("pydoctor").unwrap();
    let out = cmd
        .env_clear()
        .env("CLICOLOR_FORCE", "1")
        .env("NO_COLOR", "1")
        .args(["rules", "PD101"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains('\u{1b}'));
}
