//! `pydoctor explain --format json` on every real paste of `fixtures/pastes/` against the
//! label its thread established: a confusion matrix (label kind × first diagnosis kind), every
//! miss, and two floors (fixtures/pastes/README.md explains the scoring and keeps the figures).
//!
//! Scoring:
//! - kind: the first diagnosis' kind equals the label's. A case labelled `unknown` (the cause
//!   is outside the vocabulary) is right when no diagnosis names a known kind. Cases labelled
//!   `other` (the thread settled nothing) are left out of the kind score: any answer is allowed,
//!   as long as the output is valid JSON.
//! - library: for labelled cases with a non-empty library, it is among the `library` fields
//!   of the first three diagnoses (compared without case, as sonames and versions are written).
//!
//! Every output is validated against docs/schema.json. The run is `--text-only`: the pastes
//! name paths of other people's machines, and what exists here must not change the score.

#[path = "check_common.rs"]
mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

/// Below these shares of right answers the test fails.
const KIND_FLOOR: f64 = 0.95;
const LIBRARY_FLOOR: f64 = 0.95;

/// Words a fix template used when it had nothing to fill in (reported, not yet a failure:
/// the renderer is to read `Evidence.package`).
const PLACEHOLDERS: &[&str] = &["PACKAGE", "/path/to/lib"];

const KINDS: &[&str] = &[
    "missing-shared-library",
    "glibc-version-too-old",
    "libstdcxx-version-too-old",
    "undefined-symbol",
    "python-abi-mismatch",
    "numpy-abi-mismatch",
    "source-tree-shadowing",
    "module-not-found",
    "wrong-elf-class",
    "musl-glibc-mismatch",
    "executable-stack",
    "illegal-instruction",
    "interpreter-cannot-start",
    "unknown",
    "other",
];

#[derive(Debug, Deserialize)]
struct LabelFile {
    #[serde(default)]
    case: Vec<Label>,
}

/// One `[[case]]` of a labels file (fixtures/pastes/README.md).
#[derive(Debug, Deserialize)]
#[allow(dead_code)] // every field is read by people; the test reads some
struct Label {
    file: String,
    source: String,
    kind: String,
    #[serde(default)]
    library: String,
    #[serde(default)]
    nix: bool,
    #[serde(default)]
    platform: String,
    #[serde(default)]
    shapes: Vec<String>,
    #[serde(default)]
    why: String,
}

/// What pydoctor said about one case.
struct Answer {
    /// The output still holds a placeholder word a fix could not fill.
    placeholder: bool,
    status: String,
    kinds: Vec<String>,
    libraries: Vec<String>,
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/pastes")
}

fn labels() -> Vec<Label> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus())
        .expect("fixtures/pastes")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("labels-") && n.ends_with(".toml"))
        })
        .collect();
    files.sort();
    let mut all = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let parsed: LabelFile =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        all.extend(parsed.case);
    }
    all
}

fn explain(case: &Path) -> Answer {
    let path = case.display().to_string();
    let run = common::pydoctor(
        &["--format", "json", "explain", "--text-only", &path],
        &[],
        &corpus(),
    );
    let doc = run.json();
    assert!(doc.get("error").is_none(), "{path}: {}", doc["error"]);
    let diagnoses = doc["diagnoses"].as_array().cloned().unwrap_or_default();
    let field = |d: &Value, name: &str| d[name].as_str().unwrap_or_default().to_string();
    Answer {
        placeholder: PLACEHOLDERS.iter().any(|p| run.stdout.contains(p)),
        status: field(&doc, "status"),
        kinds: diagnoses.iter().map(|d| field(d, "kind")).collect(),
        libraries: diagnoses
            .iter()
            .take(3)
            .map(|d| field(d, "library"))
            .collect(),
    }
}

/// The first diagnosis' kind, or the status when there is none (`undiagnosed`, `ok`).
fn first_kind(answer: &Answer) -> String {
    answer
        .kinds
        .first()
        .cloned()
        .unwrap_or_else(|| answer.status.clone())
}

fn kind_right(label: &Label, answer: &Answer) -> bool {
    if label.kind == "unknown" {
        return answer.kinds.iter().all(|k| k == "unknown");
    }
    answer.kinds.first() == Some(&label.kind)
}

/// The label records a file by its name, pydoctor by its path when the text has one (an
/// object that asks for an executable stack): the same file.
fn library_right(label: &Label, answer: &Answer) -> bool {
    let want = label.library.trim().to_ascii_lowercase();
    answer.libraries.iter().any(|l| {
        let l = l.to_ascii_lowercase();
        let name = l.rsplit(['/', '\\']).next().unwrap_or(&l);
        l == want || name == want
    })
}

/// Counts of (label kind, first answer) pairs.
type Matrix = BTreeMap<(String, String), usize>;

fn print_matrix(matrix: &Matrix) {
    let answers: Vec<&String> = {
        let mut a: Vec<&String> = matrix.keys().map(|(_, got)| got).collect();
        a.sort();
        a.dedup();
        a
    };
    println!("\nconfusion matrix (rows: label kind; columns: first diagnosis kind)");
    for (i, got) in answers.iter().enumerate() {
        println!("  c{i:<2} = {got}");
    }
    let header: Vec<String> = (0..answers.len())
        .map(|i| format!("{:>4}", format!("c{i}")))
        .collect();
    println!("{:<26} {}", "", header.join(""));
    for want in KINDS {
        let row: Vec<usize> = answers
            .iter()
            .map(|got| {
                matrix
                    .get(&(want.to_string(), got.to_string()))
                    .copied()
                    .unwrap_or(0)
            })
            .collect();
        if row.iter().all(|&n| n == 0) {
            continue;
        }
        let cells: Vec<String> = row
            .iter()
            .map(|&n| {
                if n == 0 {
                    "   .".into()
                } else {
                    format!("{n:>4}")
                }
            })
            .collect();
        println!("{want:<26} {}", cells.join(""));
    }
}

#[test]
fn explain_names_the_cause_the_threads_established() {
    let labels = labels();
    assert!(!labels.is_empty(), "no labels in fixtures/pastes");
    let mut matrix = Matrix::new();
    let (mut kinds_scored, mut kinds_right) = (0usize, 0usize);
    let (mut libs_scored, mut libs_right) = (0usize, 0usize);
    let mut misses = Vec::new();
    let mut per_kind: BTreeMap<&str, usize> = BTreeMap::new();
    let mut with_placeholder = 0usize;
    for label in &labels {
        assert!(
            KINDS.contains(&label.kind.as_str()),
            "{}: unknown label kind {:?}",
            label.file,
            label.kind
        );
        *per_kind.entry(label.kind.as_str()).or_default() += 1;
        let case = corpus().join("cases").join(&label.file);
        assert!(case.is_file(), "{}: no such case file", label.file);
        let answer = explain(&case);
        let got = first_kind(&answer);
        with_placeholder += usize::from(answer.placeholder);
        *matrix.entry((label.kind.clone(), got.clone())).or_default() += 1;
        if label.kind == "other" {
            continue;
        }
        kinds_scored += 1;
        let kind_ok = kind_right(label, &answer);
        kinds_right += usize::from(kind_ok);
        let lib_ok = if label.library.trim().is_empty() {
            None
        } else {
            libs_scored += 1;
            let ok = library_right(label, &answer);
            libs_right += usize::from(ok);
            Some(ok)
        };
        if !kind_ok || lib_ok == Some(false) {
            misses.push(format!(
                "{} ({}): expected {} [{}], got {} [{}]",
                label.file,
                label.source,
                label.kind,
                label.library,
                if answer.kinds.is_empty() {
                    answer.status.clone()
                } else {
                    answer.kinds.join(", ")
                },
                answer.libraries.join(", ")
            ));
        }
    }
    print_matrix(&matrix);
    println!("\ncases per label kind:");
    for (kind, n) in &per_kind {
        println!("  {kind:<26} {n}");
    }
    println!("\nmisses ({}):", misses.len());
    for miss in &misses {
        println!("  {miss}");
    }
    println!("\noutputs with an unfilled placeholder: {with_placeholder}");
    let share = |right: usize, scored: usize| right as f64 / scored.max(1) as f64;
    let kind_share = share(kinds_right, kinds_scored);
    let lib_share = share(libs_right, libs_scored);
    println!(
        "\n{} cases; kinds right: {kinds_right}/{kinds_scored} ({:.1} %); libraries right: {libs_right}/{libs_scored} ({:.1} %)",
        labels.len(),
        100.0 * kind_share,
        100.0 * lib_share
    );
    assert!(
        kind_share >= KIND_FLOOR,
        "kind accuracy {:.1} % is below {:.0} %",
        100.0 * kind_share,
        100.0 * KIND_FLOOR
    );
    assert!(
        lib_share >= LIBRARY_FLOOR,
        "library accuracy {:.1} % is below {:.0} %",
        100.0 * lib_share,
        100.0 * LIBRARY_FLOOR
    );
}
