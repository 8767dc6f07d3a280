//! `pydoctor explain` on real error texts (fixtures/text/) and their paste variants: the
//! right cause kind, library, required_by, provider and hidden cause, in whole JSON.

use assert_cmd::Command;
use serde_json::Value;

fn explain(path: &str) -> (i32, Value) {
    let output = Command::cargo_bin("pydoctor")
        .unwrap()
        .args(["--format", "json", "explain", "--text-only", path])
        .env_clear()
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{path}: JSON does not parse: {e}"));
    (output.status.code().unwrap_or(-1), json)
}

fn text(path: &str) -> String {
    format!("{}/fixtures/text/{path}", env!("CARGO_MANIFEST_DIR"))
}

/// An expected library written `…/NAME` is the absolute path ending in `/NAME` that the
/// fixture's own text names: the texts keep the directory they were made in, which no test
/// repeats.
fn named_in_text(file: &str, expected: &str) -> String {
    let Some(name) = expected.strip_prefix("…") else {
        return expected.to_string();
    };
    let body = std::fs::read_to_string(text(file)).unwrap();
    body.split(|c: char| c.is_whitespace() || c == ':' || c == '(' || c == ')')
        .find(|word| word.starts_with('/') && word.ends_with(name))
        .unwrap_or_else(|| panic!("{file}: no path ending in {name}"))
        .to_string()
}

/// What one fixture must give: (file, kind, library, required_by ends with, provider).
struct Expect {
    file: &'static str,
    kind: &'static str,
    library: Option<&'static str>,
    required_by: Option<&'static str>,
    provider: Option<&'static str>,
}

const fn e(
    file: &'static str,
    kind: &'static str,
    library: Option<&'static str>,
    required_by: Option<&'static str>,
    provider: Option<&'static str>,
) -> Expect {
    Expect {
        file,
        kind,
        library,
        required_by,
        provider,
    }
}

const LIBSTDCXX: Option<&str> = Some("libstdc++.so.6");

const EXPECTED: &[Expect] = &[
    e(
        "numpy-2.3.2-libstdcxx-hidden.txt",
        "missing-shared-library",
        LIBSTDCXX,
        None,
        None,
    ),
    e(
        "numpy-2.4-libstdcxx-hidden.txt",
        "missing-shared-library",
        LIBSTDCXX,
        None,
        None,
    ),
    e(
        "pandas-numpy-2.3.2-libstdcxx-hidden.txt",
        "missing-shared-library",
        LIBSTDCXX,
        None,
        None,
    ),
    e(
        "pandas-numpy-2.4-libstdcxx-hidden.txt",
        "missing-shared-library",
        LIBSTDCXX,
        None,
        None,
    ),
    e(
        "ext-missing-library.txt",
        "missing-shared-library",
        Some("libfixturedep.so.1"),
        None,
        None,
    ),
    e(
        "ext-glibc-too-old.txt",
        "glibc-version-too-old",
        Some("GLIBC_2.99"),
        Some("_needs_new_glibc.cpython-311-x86_64-linux-gnu.so"),
        Some("/lib/x86_64-linux-gnu/libc.so.6"),
    ),
    e(
        "ext-glibcxx-too-old.txt",
        "libstdcxx-version-too-old",
        Some("GLIBCXX_3.4.99"),
        Some("_needs_new_glibcxx.cpython-311-x86_64-linux-gnu.so"),
        Some("/lib/x86_64-linux-gnu/libstdc++.so.6"),
    ),
    e(
        "ext-undefined-symbol.txt",
        "undefined-symbol",
        Some("fixture_missing_function"),
        Some("_undefined_sym.cpython-311-x86_64-linux-gnu.so"),
        None,
    ),
    e(
        "ext-python-abi-symbol.txt",
        "python-abi-mismatch",
        Some("PyDict_GetItemRef"),
        Some("_py313_api.cpython-311-x86_64-linux-gnu.so"),
        None,
    ),
    e(
        "ext-wrong-elf-class.txt",
        "wrong-elf-class",
        Some("…/_wrong_class.cpython-311-x86_64-linux-gnu.so"),
        None,
        None,
    ),
    e(
        "ext-invalid-elf-header.txt",
        "wrong-elf-class",
        Some("…/_not_elf.cpython-311-x86_64-linux-gnu.so"),
        None,
        None,
    ),
    e(
        "ext-file-too-short.txt",
        "wrong-elf-class",
        Some("…/_empty_ext.cpython-311-x86_64-linux-gnu.so"),
        None,
        None,
    ),
    e(
        "ext-illegal-instruction.txt",
        "illegal-instruction",
        None,
        None,
        None,
    ),
    e(
        "shell-illegal-instruction.txt",
        "illegal-instruction",
        None,
        None,
        None,
    ),
    e(
        "module-not-found.txt",
        "module-not-found",
        Some("fixture_not_installed"),
        None,
        None,
    ),
    e(
        "ctypes-missing-library.txt",
        "missing-shared-library",
        Some("libfixture_absent.so.3"),
        None,
        None,
    ),
    e(
        "interpreter-bad-pt-interp.txt",
        "interpreter-cannot-start",
        None,
        Some("/c/py/bin/python3"),
        None,
    ),
    e(
        "interpreter-libpython-missing.txt",
        "interpreter-cannot-start",
        Some("libpython3.11.so.1.0"),
        Some("/c/py2/bin/python3"),
        None,
    ),
    e(
        "musl-glibc-binary.txt",
        "musl-glibc-mismatch",
        Some("gnu_get_libc_version"),
        Some("/c/hello-glibc"),
        None,
    ),
    e(
        "variants/pytest-numpy-2.3.2.txt",
        "missing-shared-library",
        LIBSTDCXX,
        None,
        None,
    ),
    e(
        "variants/github-actions-numpy-2.4.txt",
        "missing-shared-library",
        LIBSTDCXX,
        None,
        None,
    ),
    e(
        "variants/gitlab-python-abi-symbol.txt",
        "python-abi-mismatch",
        Some("PyDict_GetItemRef"),
        Some("_py313_api.cpython-311-x86_64-linux-gnu.so"),
        None,
    ),
    e(
        "variants/ansi-glibcxx-too-old.txt",
        "libstdcxx-version-too-old",
        Some("GLIBCXX_3.4.99"),
        Some("_needs_new_glibcxx.cpython-311-x86_64-linux-gnu.so"),
        Some("/lib/x86_64-linux-gnu/libstdc++.so.6"),
    ),
    e(
        "variants/crlf-pandas-numpy-2.3.2.txt",
        "missing-shared-library",
        LIBSTDCXX,
        None,
        None,
    ),
    e(
        "variants/cut-off-numpy-2.3.2.txt",
        "missing-shared-library",
        LIBSTDCXX,
        None,
        None,
    ),
    e(
        "variants/prompt-undefined-symbol.txt",
        "undefined-symbol",
        Some("fixture_missing_function"),
        Some("_undefined_sym.cpython-311-x86_64-linux-gnu.so"),
        None,
    ),
    e(
        "variants/last-line-only.txt",
        "missing-shared-library",
        LIBSTDCXX,
        None,
        None,
    ),
    e(
        "variants/docker-glibc-too-old.txt",
        "glibc-version-too-old",
        Some("GLIBC_2.99"),
        Some("_needs_new_glibc.cpython-311-x86_64-linux-gnu.so"),
        Some("/lib/x86_64-linux-gnu/libc.so.6"),
    ),
    e(
        "variants/quoted-ctypes.txt",
        "missing-shared-library",
        Some("libfixture_absent.so.3"),
        None,
        None,
    ),
];

#[test]
fn every_fixture_gives_its_cause_kind_library_and_files() {
    for expect in EXPECTED {
        let (code, json) = explain(&text(expect.file));
        assert!(code == 1 || code == 3, "{}: exit {code}", expect.file);
        let findings = json["findings"].as_array().unwrap();
        let hit = findings.iter().find(|f| f["kind"] == expect.kind);
        let Some(hit) = hit else {
            panic!(
                "{}: no {} finding in {findings:#?}",
                expect.file, expect.kind
            );
        };
        assert_eq!(hit["source"], "text", "{}", expect.file);
        let library = expect.library.map(|l| named_in_text(expect.file, l));
        assert_eq!(
            hit["library"].as_str(),
            library.as_deref(),
            "{}",
            expect.file
        );
        match expect.required_by {
            Some(end) => assert!(
                hit["required_by"]
                    .as_str()
                    .unwrap_or_default()
                    .ends_with(end),
                "{}: required_by {}",
                expect.file,
                hit["required_by"]
            ),
            None => assert!(hit["required_by"].is_null(), "{}", expect.file),
        }
        assert_eq!(hit["provider"].as_str(), expect.provider, "{}", expect.file);
    }
}

#[test]
fn the_json_has_the_contract_fields() {
    let (_, json) = explain(&text("numpy-2.3.2-libstdcxx-hidden.txt"));
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["command"], "explain");
    assert!(json["pydoctor_version"].is_string());
    assert!(["ok", "problems", "undiagnosed"].contains(&json["status"].as_str().unwrap()));
    let env = &json["environment"];
    assert_eq!(env["source"], "inferred-from-text");
    for key in [
        "executable",
        "version",
        "kind",
        "venv",
        "loader",
        "loader_flavor",
    ] {
        assert!(env["python"].get(key).is_some(), "python.{key}");
    }
    assert!(env["os"].get("nixos").is_some());
    assert!(env["nix_ld"]["library_path"].is_array());
    assert!(env["ld_library_path"].is_array());
    assert_eq!(env["python"]["version"], "3.11");
    assert!(json["diagnoses"].is_array());
    let chain = json["failure"]["chain"].as_array().unwrap();
    assert_eq!(chain.len(), 3);
    assert!(
        chain[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("libstdc++.so.6")
    );
}

fn misleading(file: &str) -> Vec<Value> {
    let path = if file.starts_with('/') {
        file.to_string()
    } else {
        text(file)
    };
    let (_, json) = explain(&path);
    json["failure"]["misleading"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn find<'a>(entries: &'a [Value], id: &str) -> &'a Value {
    entries
        .iter()
        .find(|m| m["id"] == id)
        .unwrap_or_else(|| panic!("no misleading entry {id} in {entries:#?}"))
}

#[test]
fn numpy_2_3_wrappers_are_seen_through_to_the_missing_library() {
    let entries = misleading("numpy-2.3.2-libstdcxx-hidden.txt");
    for id in ["numpy-c-extensions-failed", "numpy-source-directory"] {
        let m = find(&entries, id);
        assert_eq!(m["root_missing"], false);
        assert!(
            m["hidden_cause"]
                .as_str()
                .unwrap()
                .contains("libstdc++.so.6: cannot open")
        );
    }
    let shown = find(&entries, "numpy-source-directory")["shown"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        shown.starts_with("ImportError: Error importing numpy"),
        "{shown}"
    );
}

#[test]
fn numpy_2_4_has_no_source_directory_message() {
    let entries = misleading("numpy-2.4-libstdcxx-hidden.txt");
    assert!(entries.iter().all(|m| m["id"] != "numpy-source-directory"));
    find(&entries, "numpy-c-extensions-failed");
}

#[test]
fn pandas_on_a_broken_numpy_names_the_dependency_wrapper() {
    let entries = misleading("pandas-numpy-2.3.2-libstdcxx-hidden.txt");
    let m = find(&entries, "pandas-required-dependency");
    assert!(
        m["hidden_cause"]
            .as_str()
            .unwrap()
            .contains("libstdc++.so.6")
    );
}

#[test]
fn a_paste_cut_off_at_the_top_still_finds_the_quoted_cause() {
    let entries = misleading("variants/cut-off-numpy-2.3.2.txt");
    let m = find(&entries, "numpy-source-directory");
    assert_eq!(m["root_missing"], false);
    assert!(
        m["hidden_cause"]
            .as_str()
            .unwrap()
            .contains("libstdc++.so.6")
    );
}

#[test]
fn ctypes_says_what_its_message_hides() {
    let entries = misleading("ctypes-missing-library.txt");
    find(&entries, "ctypes-cannot-open");
}

#[test]
fn only_the_wrapper_in_the_text_means_the_root_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("paste.txt");
    std::fs::write(
        &path,
        "ImportError: Unable to import required dependency numpy. Please see the traceback for details.\n",
    )
    .unwrap();
    let entries = misleading(path.to_str().unwrap());
    let m = find(&entries, "pandas-required-dependency");
    assert_eq!(m["root_missing"], true);
    assert!(
        m["hidden_cause"]
            .as_str()
            .unwrap()
            .contains("pydoctor check pandas")
    );
}

#[test]
fn two_errors_in_one_paste_are_both_kept() {
    let (_, json) = explain(&text("variants/two-errors.txt"));
    assert_eq!(json["extra"]["failures"].as_array().unwrap().len(), 2);
    let kinds: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["module-not-found", "missing-shared-library"]);
    // The last error of the paste leads.
    assert!(
        json["failure"]["chain"][0]["message"]
            .as_str()
            .unwrap()
            .contains("libfixturedep")
    );
}

#[test]
fn pyenv_paths_are_an_inferred_pyenv_python() {
    let (_, json) = explain(&text("ctypes-missing-library.txt"));
    let python = &json["environment"]["python"];
    assert_eq!(python["kind"], "pyenv");
    assert_eq!(python["version"], "3.11.7");
    assert_eq!(python["loader_flavor"], "fhs-glibc");
}
