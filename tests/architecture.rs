//! The layering of `src/`, checked: every `crate::X` path in a module's non-test code must
//! name a module below it in the DAG that docs/architecture.md draws, and only `report` and
//! the binary print. A new edge that goes up (or sideways) fails here with the file and line,
//! so the pipeline stays one way: source → evidence → rules → report.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Each top-level module of the library, with the modules it may use. Keep in step with the
/// picture in docs/architecture.md.
const LAYERS: &[(&str, &[&str])] = &[
    ("fsio", &[]),
    ("elf", &["fsio"]),
    ("loader", &["elf", "fsio"]),
    ("evidence", &["loader", "elf"]),
    ("version", &[]),
    ("process", &[]),
    ("error", &["elf", "loader", "fsio"]),
    ("catalog", &["evidence", "error", "fsio"]),
    (
        "env",
        &[
            "catalog", "evidence", "loader", "elf", "fsio", "process", "error",
        ],
    ),
    (
        "source",
        &[
            "env", "catalog", "evidence", "loader", "elf", "fsio", "process", "error",
        ],
    ),
    (
        "scan",
        &[
            "source", "env", "catalog", "evidence", "loader", "elf", "fsio", "process", "error",
        ],
    ),
    ("outcome", &["evidence", "loader", "version"]),
    (
        "rules",
        &[
            "outcome", "env", "catalog", "evidence", "loader", "fsio", "process", "error",
        ],
    ),
    (
        "fix",
        &[
            "rules", "outcome", "env", "catalog", "evidence", "loader", "elf", "fsio", "process",
            "error",
        ],
    ),
    (
        "report",
        &[
            "fix", "rules", "outcome", "scan", "source", "env", "catalog", "evidence", "loader",
            "error", "version",
        ],
    ),
    ("request", &["env", "loader"]),
    (
        "commands",
        &[
            "request", "report", "fix", "rules", "outcome", "scan", "source", "env", "catalog",
            "evidence", "loader", "elf", "fsio", "process", "error", "version", "cli",
        ],
    ),
    ("cli", &["report", "version"]),
];

/// Where printing is allowed: the printer, and the binary that writes what it returns.
const PRINTERS: &[&str] = &["report", "main"];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to (`src/loader/resolve.rs` → `loader`).
fn module_of(path: &Path) -> String {
    let rel = path.strip_prefix(src()).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// The file's code before its test module, with comments and string/char literals blanked
/// (a path named in a doc comment or a message is not an edge).
fn code_of(text: &str) -> String {
    let body = match text.find("#[cfg(test)]") {
        Some(at) => &text[..at],
        None => text,
    };
    blank_comments_and_strings(body)
}

fn blank_comments_and_strings(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        let skip = if rest.starts_with(b"//") {
            rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len())
        } else if rest.starts_with(b"/*") {
            find(rest, b"*/").map_or(rest.len(), |at| at + 2)
        } else if let Some(len) = raw_string_len(rest) {
            len
        } else if rest[0] == b'"' {
            quoted_len(rest, b'"')
        } else if rest[0] == b'\'' && is_char_literal(rest) {
            quoted_len(rest, b'\'')
        } else {
            0
        };
        if skip == 0 {
            out.push(bytes[i]);
            i += 1;
        } else {
            // Keep the newlines so that line numbers still match the file.
            out.extend(
                rest[..skip]
                    .iter()
                    .map(|&b| if b == b'\n' { b'\n' } else { b' ' }),
            );
            i += skip;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `r"…"`, `r#"…"#`, `br"…"`: their length, when `rest` starts one.
fn raw_string_len(rest: &[u8]) -> Option<usize> {
    let start = if rest.starts_with(b"br") {
        2
    } else if rest.starts_with(b"r") {
        1
    } else {
        return None;
    };
    let hashes = rest[start..].iter().take_while(|&&b| b == b'#').count();
    if rest.get(start + hashes) != Some(&b'"') {
        return None;
    }
    let mut close = vec![b'"'];
    close.extend(std::iter::repeat_n(b'#', hashes));
    let body = start + hashes + 1;
    Some(find(&rest[body..], &close).map_or(rest.len(), |at| body + at + close.len()))
}

/// A `'x'` or `'\n'` literal, not a lifetime (`'a`).
fn is_char_literal(rest: &[u8]) -> bool {
    match rest.get(1) {
        Some(b'\\') => true,
        Some(_) => {
            let ch_len = std::str::from_utf8(&rest[1..rest.len().min(5)])
                .ok()
                .or_else(|| std::str::from_utf8(&rest[1..rest.len().min(2)]).ok())
                .and_then(|s| s.chars().next())
                .map_or(1, char::len_utf8);
            rest.get(1 + ch_len) == Some(&b'\'')
        }
        None => false,
    }
}

fn quoted_len(rest: &[u8], quote: u8) -> usize {
    let mut i = 1;
    while i < rest.len() {
        match rest[i] {
            b'\\' => i += 2,
            b if b == quote => return i + 1,
            _ => i += 1,
        }
    }
    rest.len()
}

/// Every `crate::X` in the code, with its line number.
fn crate_paths(code: &str) -> Vec<(usize, String)> {
    let re = regex::Regex::new(r"\bcrate::([a-z_]+)").unwrap();
    code.lines()
        .enumerate()
        .flat_map(|(n, line)| {
            re.captures_iter(line)
                .map(move |c| (n + 1, c[1].to_string()))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn rel(path: &Path) -> String {
    path.strip_prefix(src().parent().unwrap())
        .unwrap()
        .display()
        .to_string()
}

#[test]
fn every_module_uses_only_the_layers_below_it() {
    let allowed: BTreeMap<&str, &[&str]> = LAYERS.iter().copied().collect();
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut wrong = Vec::new();
    for path in &files {
        let module = module_of(path);
        if module == "main" || module == "lib" {
            continue;
        }
        let Some(below) = allowed.get(module.as_str()) else {
            wrong.push(format!(
                "{}: module `{module}` is not in the layering (add it to LAYERS and docs/architecture.md)",
                rel(path)
            ));
            continue;
        };
        let code = code_of(&std::fs::read_to_string(path).unwrap());
        for (line, target) in crate_paths(&code) {
            if target != module && !below.contains(&target.as_str()) {
                wrong.push(format!(
                    "{}:{line}: `{module}` uses `crate::{target}`",
                    rel(path)
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "edges outside the layering (docs/architecture.md):\n  {}",
        wrong.join("\n  ")
    );
}

#[test]
fn the_layering_is_a_dag() {
    // Depth-first search for a cycle among the allowed edges themselves.
    let allowed: BTreeMap<&str, &[&str]> = LAYERS.iter().copied().collect();
    fn visit<'a>(
        node: &'a str,
        allowed: &BTreeMap<&'a str, &'a [&'a str]>,
        path: &mut Vec<&'a str>,
    ) -> Option<Vec<&'a str>> {
        if let Some(at) = path.iter().position(|&n| n == node) {
            return Some(path[at..].to_vec());
        }
        path.push(node);
        for next in allowed.get(node).copied().unwrap_or_default() {
            if let Some(cycle) = visit(next, allowed, path) {
                return Some(cycle);
            }
        }
        path.pop();
        None
    }
    for &(node, _) in LAYERS {
        let cycle = visit(node, &allowed, &mut Vec::new());
        assert!(cycle.is_none(), "the layering has a cycle: {cycle:?}");
    }
}

#[test]
fn only_the_report_layer_prints() {
    // Asking whether stdout is a terminal is no printing; taking the stream for anything else is.
    let re = regex::Regex::new(r"\b(e?print(ln)?!|io::std(out|err)\(\)(\.(lock|write)|\s*[;,)]))")
        .unwrap();
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut wrong = Vec::new();
    for path in &files {
        let module = module_of(path);
        if PRINTERS.contains(&module.as_str()) {
            continue;
        }
        let code = code_of(&std::fs::read_to_string(path).unwrap());
        for (n, line) in code.lines().enumerate() {
            if re.is_match(line) {
                wrong.push(format!("{}:{}: {}", rel(path), n + 1, line.trim()));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "printing outside report/ and main.rs:\n  {}",
        wrong.join("\n  ")
    );
}

#[test]
fn comments_and_strings_are_not_edges() {
    let code = blank_comments_and_strings(
        "use crate::a; // crate::b\nlet s = \"crate::c\"; let r = r#\"crate::d\"#;\n/* crate::e */ fn f<'x>(c: char) { let q = '\"'; crate::g::h(); }",
    );
    let found: Vec<String> = crate_paths(&code).into_iter().map(|(_, m)| m).collect();
    assert_eq!(found, ["a", "g"]);
}
