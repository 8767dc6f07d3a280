//! Every `$ pydoctor …` line in `docs/**/*.md` and `README.md` runs here, so documentation that
//! drifts from the binary fails the suite.
//!
//! A command is a line of a ```` ```console ```` block that starts with `$ pydoctor `; the lines
//! after it, up to the next `$ ` line or the end of the block, are its documented output. The
//! line is split into words by a small shell-words splitter and run without a shell (a pipe or a
//! redirection is refused). An HTML comment on the line before the block says how to check it:
//!
//! ```text
//! <!-- docs-test: exact -->                 output compared exactly (deterministic anywhere)
//! <!-- docs-test: nixlike capture exit=1 key="✗ problem: …" -->
//! ```
//!
//! - `exact`: stdout (then stderr) must equal the documented output, trailing spaces aside.
//! - `nixlike`: run in the Nix-like test store (`scripts/fixtures/nix-like-*.sh`) built at
//!   [`sandbox`] and shown as [`SHOWN_SANDBOX`]: the working directory holds `.venv`, a venv of the Nix-like python with
//!   numpy 2.3.2 from PyPI, and `NIX_STORE_DIR` names the store. Without it, in the repository
//!   root with no `.venv`.
//! - `capture`: the output is real but machine-dependent; it is not compared, only rewritten
//!   by the update mode.
//! - `exit=N`: the exit code must be N; without it, anything but 2 (a usage error), so every
//!   documented flag and command exists.
//! - `key="TEXT"`: TEXT must appear both in the documented output and in the real one.
//! - `stdin=FILE`: FILE (from the repository root) is the command's stdin; else it is empty.
//! - `env=NAME=VALUE`: an extra environment variable for the block's commands.
//!
//! Commands run with a cleared environment: `PATH`, `NO_COLOR=1`, `COLUMNS=80`.
//! `PYDOCTOR_UPDATE_DOCS=1 cargo test --test docs_commands` rewrites the output of `exact` and
//! `capture` blocks in place with what the binary prints.

#[path = "support/host.rs"]
mod host;

use host::skip;

#[path = "support/docwords.rs"]
mod docwords;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use docwords::{Block, Marker, doc_files, parse_doc, split_words};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// How the docs show the dir the Nix-like store of the docs lives in ([`sandbox`]): one
/// spelling on every machine, so that rewritten outputs do not churn; the store's hashes are
/// fixed by the fixture script.
const SHOWN_SANDBOX: &str = "/tmp/pydoctor-docs";

/// Where the Nix-like store of the docs really lives: in this user's test scratch dir.
fn sandbox() -> PathBuf {
    host::scratch_root().join("pydoctor-docs")
}

fn nixlike_project() -> Option<PathBuf> {
    static PROJECT: OnceLock<Option<PathBuf>> = OnceLock::new();
    PROJECT
        .get_or_init(|| {
            let base = host::fhs_python_or_skip()?;
            std::fs::create_dir_all(sandbox()).ok()?;
            let out = Command::new(Path::new(ROOT).join("scripts/fixtures/nix-like-venv.sh"))
                .arg(sandbox())
                .args([".venv", "numpy==2.3.2"])
                .env("PYDOCTOR_TEST_PYTHON", &base.executable)
                .env("PYDOCTOR_TEST_CACHE", host::cache_root())
                .output()
                .ok()?;
            if !out.status.success() {
                skip::skip(format!(
                    "nixlike docs blocks: nix-like-venv.sh failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                ));
                return None;
            }
            Some(sandbox().join("venvs"))
        })
        .clone()
}

struct Ran {
    code: i32,
    text: String,
}

fn run(args: &[String], marker: &Marker) -> Option<Ran> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pydoctor"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("NO_COLOR", "1")
        .env("COLUMNS", "80")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if marker.nixlike {
        let project = nixlike_project()?;
        cmd.current_dir(project)
            .env("NIX_STORE_DIR", sandbox().join("nix/store"));
    } else {
        cmd.current_dir(ROOT);
    }
    cmd.envs(marker.env.iter().map(|(k, v)| (k, v)));
    match &marker.stdin {
        Some(file) => cmd.stdin(std::fs::File::open(Path::new(ROOT).join(file)).ok()?),
        None => cmd.stdin(Stdio::null()),
    };
    let out = cmd.output().expect("run pydoctor");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    if marker.nixlike {
        text = text.replace(&*sandbox().to_string_lossy(), SHOWN_SANDBOX);
    }
    Some(Ran {
        code: out.status.code().unwrap_or(-1),
        text: normalise(&text),
    })
}

/// Trailing spaces and trailing blank lines do not survive editors; compare without them.
fn normalise(text: &str) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    lines.join("\n").trim_end_matches('\n').to_string()
}

/// Check one command; returns its real output when the block may be rewritten.
fn check_command(
    file: &Path,
    block: &Block,
    index: usize,
    failures: &mut Vec<String>,
) -> Option<String> {
    let command = &block.commands[index];
    let place = format!("{}:{}", file.display(), command.line);
    let args = match split_words(&command.text) {
        Ok(words) => words[1..].to_vec(),
        Err(e) => {
            failures.push(format!("{place}: {e}: {}", command.text));
            return None;
        }
    };
    let marker = &block.marker;
    let Some(ran) = run(&args, marker) else {
        skip::skip(format!("{place}: its context could not be built"));
        return None;
    };
    let documented = normalise(&command.output.join("\n"));
    // A branch may document a command that lands with another branch (scan): say so loudly
    // rather than fail; once it is merged the block is checked like any other.
    if ran.code == 2 && ran.text.contains("is not implemented yet") {
        skip::skip(format!(
            "{place}: `{}` is not implemented on this branch",
            command.text
        ));
        return None;
    }
    match marker.exit {
        Some(code) if code != ran.code => failures.push(format!(
            "{place}: `{}` exited {} (documented {code}):\n{}",
            command.text, ran.code, ran.text
        )),
        None if ran.code == 2 => failures.push(format!(
            "{place}: `{}` is a usage or I/O error (exit 2):\n{}",
            command.text, ran.text
        )),
        _ => {}
    }
    for key in &marker.keys {
        if !documented.contains(key.as_str()) {
            failures.push(format!(
                "{place}: key {key:?} is not in the documented output"
            ));
        }
        if !ran.text.contains(key.as_str()) {
            failures.push(format!(
                "{place}: key {key:?} is not in the real output:\n{}",
                ran.text
            ));
        }
    }
    if marker.exact && documented != ran.text {
        failures.push(format!(
            "{place}: `{}` prints something else than documented \
             (PYDOCTOR_UPDATE_DOCS=1 cargo test --test docs_commands rewrites it):\n\
             --- documented\n{documented}\n--- real\n{}",
            command.text, ran.text
        ));
    }
    (marker.exact || marker.capture).then_some(ran.text)
}

#[test]
fn every_documented_command_runs_as_documented() {
    let update = std::env::var_os("PYDOCTOR_UPDATE_DOCS").is_some_and(|v| v == "1");
    let mut failures = Vec::new();
    let mut commands = 0;
    for file in doc_files(Path::new(ROOT)) {
        let text = std::fs::read_to_string(&file).unwrap();
        let rel = file.strip_prefix(ROOT).unwrap_or(&file).to_path_buf();
        let doc = match parse_doc(&text) {
            Ok(doc) => doc,
            Err(e) => {
                failures.push(format!("{}: {e}", rel.display()));
                continue;
            }
        };
        let mut rewrites = Vec::new();
        for block in &doc.blocks {
            for (i, command) in block.commands.iter().enumerate() {
                commands += 1;
                if let Some(real) = check_command(&rel, block, i, &mut failures) {
                    rewrites.push((command.output_lines.clone(), real));
                }
            }
        }
        if update && !rewrites.is_empty() {
            std::fs::write(&file, docwords::rewrite(&text, &rewrites)).unwrap();
        }
    }
    assert!(commands > 0, "no `$ pydoctor` line found in the docs");
    if update {
        eprintln!("docs rewritten; {} remaining failures", failures.len());
    }
    assert!(
        failures.is_empty()
            || update
                && failures
                    .iter()
                    .all(|f| f.contains("prints something") || f.contains("documented output")),
        "{} documented command(s) misbehave:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn the_splitter_reads_words_like_a_shell() {
    assert_eq!(
        split_words(r#"pydoctor check 'a b' "c \"d\"" e\ f"#).unwrap(),
        ["pydoctor", "check", "a b", "c \"d\"", "e f"]
    );
    assert!(split_words("pydoctor explain < x").is_err());
    assert!(split_words("pydoctor explain | less").is_err());
    assert!(split_words("pydoctor 'open").is_err());
}

#[test]
fn markers_and_outputs_are_parsed() {
    let doc = parse_doc(
        "text\n<!-- docs-test: nixlike exit=1 key=\"a b\" -->\n```console\n$ pydoctor env\nout 1\n\n$ pydoctor rules\nout 2\n```\n",
    )
    .unwrap();
    assert_eq!(doc.blocks.len(), 1);
    let block = &doc.blocks[0];
    assert!(block.marker.nixlike && !block.marker.exact);
    assert_eq!(block.marker.exit, Some(1));
    assert_eq!(block.marker.keys, ["a b"]);
    assert_eq!(block.commands[0].output, ["out 1", ""]);
    assert_eq!(block.commands[1].output, ["out 2"]);
    assert_eq!(block.commands[1].output_lines, 7..8);
}
