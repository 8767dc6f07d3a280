//! The rule loader under attack: every built-in rule and table file mutated by a seeded
//! mutator must load or fail with an error naming the file; `--rules DIR` holding a FIFO, a
//! link to /dev/zero, a huge file, invalid UTF-8 or a directory symlink loop must give a
//! one-line error (exit 2) quickly, never a hang or an out-of-memory abort.

use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pydoctor::rules::Database;
use pydoctor::rules::files::{self, RuleFile};
use pydoctor::source::messages::Tables;

#[path = "support/rng.rs"]
mod rng;
use rng::Rng;

/// TOML-shaped damage: a quote, bracket or `=` dropped or added, a line duplicated (duplicate
/// keys), a value swapped for a huge or nested one, a regex made pathological.
fn mutate_toml(text: &str, rng: &mut Rng) -> String {
    const SPLICES: [&str; 10] = [
        "\"",
        "'''",
        "[",
        "]]",
        " = ",
        "\n[[fixes]]\n",
        "\nunknown_key = 1\n",
        "(a+)+$",
        "{{nope}}",
        "\u{0}",
    ];
    let mut out = text.to_string();
    for _ in 0..1 + rng.below(3) {
        let mut at = rng.below(out.len() + 1);
        while !out.is_char_boundary(at) {
            at -= 1;
        }
        match rng.below(4) {
            0 => out.insert_str(at, SPLICES[rng.below(SPLICES.len())]),
            1 => {
                let mut end = (at + rng.below(40)).min(out.len());
                while !out.is_char_boundary(end) {
                    end -= 1;
                }
                out.replace_range(at..end, "");
            }
            2 => {
                let line_start = out[..at].rfind('\n').map_or(0, |i| i + 1);
                let line_end = out[at..].find('\n').map_or(out.len(), |i| at + i);
                let line = out[line_start..line_end].to_string();
                out.insert_str(line_end, &format!("\n{line}"));
            }
            _ => out.insert_str(at, &"[".repeat(rng.below(3000))),
        }
    }
    out
}

#[test]
fn mutated_rule_and_table_files_load_or_name_the_file() {
    let builtin = files::builtin();
    let mut rng = Rng(0x1e5);
    let started = Instant::now();
    // Each round compiles the whole database (a debug build): 400 keeps this under ~10 s.
    for round in 0..400 {
        let pick = rng.below(builtin.len());
        let mut all = builtin.clone();
        let name = all[pick].name.clone();
        all[pick].text = mutate_toml(&all[pick].text, &mut rng);
        let result = std::panic::catch_unwind(|| Database::from_files(&all).map(|_| ()));
        match result {
            Err(_) => panic!("{name}: round {round} panicked"),
            Ok(Err(e)) => assert!(e.to_string().contains(&name), "{name}: {e}"),
            Ok(Ok(())) => {}
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(40),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn mutated_message_tables_load_or_name_the_file() {
    let tables = files::builtin_under("tables");
    let find = |n: &str| tables.iter().find(|f| f.name == n).unwrap().clone();
    let names = [
        "rules/tables/messages.toml",
        "rules/tables/loader-messages.toml",
        "rules/tables/paste.toml",
    ];
    let mut rng = Rng(0x7ab1e);
    for round in 0..300 {
        let mut three: Vec<RuleFile> = names.iter().map(|n| find(n)).collect();
        let which = rng.below(3);
        three[which].text = mutate_toml(&three[which].text, &mut rng);
        let result = std::panic::catch_unwind(|| {
            Tables::from_files(&three[0], &three[1], &three[2]).map(|_| ())
        });
        match result {
            Err(_) => panic!("{}: round {round} panicked", names[which]),
            Ok(Err(e)) => assert!(e.to_string().contains(names[which]), "{e}"),
            Ok(Ok(())) => {}
        }
    }
}

/// `pydoctor --rules DIR rules`, guarded: (exit code, stderr, elapsed).
fn rules_with(dir: &Path) -> (i32, String, Duration) {
    use wait_timeout::ChildExt;
    let started = Instant::now();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("pydoctor"))
        .arg("--rules")
        .arg(dir)
        .arg("rules")
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let Some(status) = child.wait_timeout(Duration::from_secs(30)).unwrap() else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("--rules {} hung", dir.display());
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (status.code().unwrap_or(-1), stderr, started.elapsed())
}

fn assert_one_line_error(dir: &Path, expect: &str) {
    let (code, stderr, elapsed) = rules_with(dir);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains(expect), "{stderr}");
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
}

#[test]
fn a_fifo_in_a_rules_dir_is_refused_without_waiting() {
    let tmp = tempfile::tempdir().unwrap();
    let fifo = tmp.path().join("evil.toml");
    let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    assert_one_line_error(tmp.path(), "evil.toml: not a regular file");
}

#[test]
fn a_link_to_dev_zero_in_a_rules_dir_is_refused_without_reading_it() {
    let tmp = tempfile::tempdir().unwrap();
    symlink("/dev/zero", tmp.path().join("zero.toml")).unwrap();
    assert_one_line_error(tmp.path(), "zero.toml: not a regular file");
}

#[test]
fn a_huge_rule_file_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let big = tmp.path().join("big.toml");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(64 * 1024 * 1024).unwrap();
    assert_one_line_error(tmp.path(), "big.toml: larger than 1024 KiB");
}

#[test]
fn an_invalid_utf8_rule_file_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("bad.toml"), b"id = \"PD9\xff\xfe\"\n").unwrap();
    assert_one_line_error(tmp.path(), "bad.toml: not valid UTF-8");
}

#[test]
fn a_directory_symlink_loop_in_a_rules_dir_ends_with_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    // Fan-out and a loop: every level links back to the top twice.
    symlink(".", tmp.path().join("again")).unwrap();
    symlink(".", tmp.path().join("and-again")).unwrap();
    assert_one_line_error(tmp.path(), "nest too deep");
}

#[test]
fn a_missing_rules_dir_is_a_one_line_error() {
    let tmp = tempfile::tempdir().unwrap();
    assert_one_line_error(&tmp.path().join("nowhere"), "nowhere");
}
