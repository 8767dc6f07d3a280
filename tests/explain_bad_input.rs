//! `pydoctor explain` on input no one should paste: binary garbage, 100 MB, one 5 MB line,
//! nothing, invalid UTF-8. Each gets a clean answer (exit 2 or 3), no panic, whole JSON.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A generous guard: these must finish, not be fast to the millisecond.
const GUARD: Duration = Duration::from_secs(120);

fn explain_stdin(input: Vec<u8>) -> (i32, Value, String) {
    let started = Instant::now();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("pydoctor"))
        .args(["--format", "json", "explain"])
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        // The reader may stop early on its own; a closed pipe is fine.
        let _ = stdin.write_all(&input);
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(started.elapsed() < GUARD, "took {:?}", started.elapsed());
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let json: Value = serde_json::from_slice(&output.stdout).expect("whole JSON on stdout");
    (output.status.code().unwrap_or(-1), json, stderr)
}

/// Input with no failure in it: nothing wrong found (exit 0), or an I/O error (exit 2).
fn assert_clean_nothing_found(code: i32, json: &Value) {
    assert!(code == 0 || code == 2, "exit {code}");
    assert_whole_report(json);
}

/// Bad input around a real error: the error is still diagnosed (exit 1) or, when the rules
/// cannot tell, undiagnosed (exit 3) — never a crash.
fn assert_clean_answer(code: i32, json: &Value) {
    assert!(matches!(code, 1 | 3), "exit {code}");
    assert_whole_report(json);
}

fn assert_whole_report(json: &Value) {
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["command"], "explain");
}

#[test]
fn empty_input_is_nothing_wrong_with_a_note() {
    let (code, json, _) = explain_stdin(Vec::new());
    assert_eq!(code, 0);
    assert_eq!(json["status"], "ok");
    assert!(json["extra"]["note"].as_str().unwrap().contains("empty"));
}

#[test]
fn text_without_errors_is_nothing_wrong_with_a_note() {
    // docs/commands/explain.md: 0 when the text shows no failure (a CI log of a green run).
    let (code, json, _) = explain_stdin(b"hello\nall tests passed\n".to_vec());
    assert_eq!(code, 0);
    assert_eq!(json["status"], "ok");
    assert!(
        json["extra"]["note"]
            .as_str()
            .unwrap()
            .contains("no Python error")
    );
}

#[test]
fn binary_garbage_gets_a_clean_answer() {
    // A deterministic byte soup with NULs, escapes and every byte value.
    let mut state: u32 = 0x1234_5678;
    let bytes: Vec<u8> = (0..2_000_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state & 0xff) as u8
        })
        .collect();
    let (code, json, _) = explain_stdin(bytes);
    assert_clean_nothing_found(code, &json);
}

#[test]
fn invalid_utf8_around_a_real_error_still_finds_it() {
    let mut bytes = b"\xff\xfe\xc3(garbage\x00\n".to_vec();
    bytes.extend_from_slice(
        b"ImportError: libstdc++.so.6: cannot open shared object file: No such file or directory\n",
    );
    bytes.extend_from_slice(b"\x80\x81\n");
    let (code, json, _) = explain_stdin(bytes);
    assert_clean_answer(code, &json);
    assert_eq!(json["findings"][0]["library"], "libstdc++.so.6");
}

#[test]
fn one_five_megabyte_line_is_not_quadratic() {
    let mut line = "ImportError: ".to_string();
    line.push_str(&"x: cannot open shared object file ".repeat(150_000));
    line.push('\n');
    let (code, json, _) = explain_stdin(line.into_bytes());
    assert_clean_answer(code, &json);
}

#[test]
fn a_hundred_megabytes_keep_the_error_at_the_end() {
    let mut bytes = Vec::with_capacity(100 * 1024 * 1024 + 200);
    let filler = b"2024-05-01T12:00:00.1234567Z some build output that goes on and on\n";
    while bytes.len() < 100 * 1024 * 1024 {
        bytes.extend_from_slice(filler);
    }
    bytes.extend_from_slice(
        b"ImportError: libz.so.1: cannot open shared object file: No such file or directory\n",
    );
    let (code, json, _) = explain_stdin(bytes);
    assert_clean_answer(code, &json);
    assert_eq!(json["extra"]["input"]["truncated"], true);
    assert!(
        json["extra"]["note"]
            .as_str()
            .unwrap()
            .contains("last 16 MiB")
    );
    assert_eq!(json["findings"][0]["library"], "libz.so.1");
}

#[test]
fn a_missing_file_is_an_io_error_with_exit_2() {
    let output = Command::new(assert_cmd::cargo::cargo_bin("pydoctor"))
        .args(["--format", "json", "explain", "/nonexistent/paste.txt"])
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(
        json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("/nonexistent/paste.txt")
    );
}
