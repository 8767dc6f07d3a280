//! Property tests for the paste parser: adversarial text (10,000-link exception chains,
//! 100,000 frames, megabyte lines, invalid UTF-8, the real fixtures mutated by a seeded
//! mutator) through the library, and the inputs that never end or never start (/dev/zero,
//! a FIFO with no writer) through `pydoctor explain`. No panic, bounded time, whole JSON.
//! (Garbage bytes, 100 MB, one 5 MB line and empty input are in explain_bad_input.rs.)

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pydoctor::source::input::read_bounded;
use pydoctor::source::text::analyse;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/text");

/// The library pipeline on `text`: evidence, quickly, and serialisable as whole JSON.
fn analyse_bounded(text: &str, budget: Duration) -> pydoctor::source::text::TextEvidence {
    let started = Instant::now();
    let evidence = analyse(text, std::path::Path::new("/nix/store")).expect("built-in tables load");
    let elapsed = started.elapsed();
    assert!(
        elapsed < budget,
        "took {elapsed:?} for {} bytes",
        text.len()
    );
    let json = serde_json::to_string(&evidence.failures).unwrap();
    assert!(serde_json::from_str::<serde_json::Value>(&json).is_ok());
    evidence
}

const ROOT: &str =
    "ImportError: libstdc++.so.6: cannot open shared object file: No such file or directory";

fn frame(i: usize) -> String {
    format!(
        "  File \"/app/m{i}.py\", line {i}, in f{i}\n    import m{}\n",
        i + 1
    )
}

#[test]
fn a_ten_thousand_link_exception_chain_is_parsed_in_bounded_time() {
    let mut text = String::from("Traceback (most recent call last):\n");
    text.push_str(&frame(0));
    text.push_str(ROOT);
    text.push('\n');
    for i in 1..10_000 {
        let separator = if i % 2 == 0 {
            "The above exception was the direct cause of the following exception:"
        } else {
            "During handling of the above exception, another exception occurred:"
        };
        text.push_str(&format!(
            "\n{separator}\n\nTraceback (most recent call last):\n{}RuntimeError: wrapper {i}\n",
            frame(i)
        ));
    }
    let evidence = analyse_bounded(&text, Duration::from_secs(20));
    let failure = evidence.main_failure().expect("a failure");
    // Whatever the chain was cut to, the root cause is still the loader's message.
    assert!(
        failure
            .chain
            .iter()
            .any(|l| l.message.contains("libstdc++.so.6")),
        "root lost"
    );
}

#[test]
fn a_hundred_thousand_frames_are_parsed_in_bounded_time() {
    let mut text = String::from("Traceback (most recent call last):\n");
    for i in 0..100_000 {
        text.push_str(&frame(i));
    }
    text.push_str(ROOT);
    text.push('\n');
    let evidence = analyse_bounded(&text, Duration::from_secs(20));
    let failure = evidence.main_failure().expect("a failure");
    assert!(failure.chain[0].message.contains("libstdc++.so.6"));
    assert!(
        evidence
            .findings
            .iter()
            .any(|f| f.library.as_deref() == Some("libstdc++.so.6"))
    );
}

#[test]
fn megabyte_lines_and_a_megabyte_message_do_not_blow_up() {
    let long = "x".repeat(2 * 1024 * 1024);
    let text = format!(
        "{long}\nTraceback (most recent call last):\n  File \"/{long}\", line 1, in <module>\n\
         ImportError: {long}\n{ROOT}\n{long}\n"
    );
    analyse_bounded(&text, Duration::from_secs(20));
    // A message line with the loader text hidden after a megabyte of noise.
    let hidden = format!("Traceback (most recent call last):\nImportError: {long} {ROOT}\n");
    analyse_bounded(&hidden, Duration::from_secs(20));
}

#[test]
fn many_pastes_in_one_input_are_bounded() {
    let one = format!("Traceback (most recent call last):\n{}{ROOT}\n", frame(1));
    let text = one.repeat(20_000);
    analyse_bounded(&text, Duration::from_secs(30));
}

#[path = "support/rng.rs"]
mod rng;
use rng::Rng;

/// Text-shaped mutations: invalid UTF-8, CR, ANSI escapes, NUL, a duplicated or dropped line,
/// a separator or traceback header spliced anywhere.
fn mutate_text(bytes: &[u8], rng: &mut Rng) -> Vec<u8> {
    const SPLICES: [&[u8]; 8] = [
        b"\xff\xfe",
        b"\r",
        b"\x1b[31m",
        b"\0",
        b"\nTraceback (most recent call last):\n",
        b"\nThe above exception was the direct cause of the following exception:\n",
        b"Original error was: ",
        b"\xe2\x82",
    ];
    let mut out = bytes.to_vec();
    for _ in 0..1 + rng.below(6) {
        let at = rng.below(out.len() + 1);
        match rng.below(4) {
            0 => {
                let s = SPLICES[rng.below(SPLICES.len())];
                out.splice(at..at, s.iter().copied());
            }
            1 if !out.is_empty() => {
                let end = (at + rng.below(200)).min(out.len());
                out.drain(at.min(end)..end);
            }
            2 if !out.is_empty() => {
                let from = rng.below(out.len());
                let end = (from + rng.below(400)).min(out.len());
                let chunk = out[from..end].to_vec();
                out.splice(at..at, chunk);
            }
            _ => {
                if let Some(b) = out.get_mut(at) {
                    *b = rng.next() as u8;
                }
            }
        }
    }
    out
}

fn fixture_texts() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut dirs = vec![Path::new(FIXTURES).to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_none_or(|e| e != "md") {
                out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    assert!(out.len() >= 10, "fixtures missing");
    out
}

#[test]
fn mutated_real_fixtures_give_evidence_or_nothing_never_a_panic() {
    let fixtures = fixture_texts();
    let mut rng = Rng(0x7e47);
    let started = Instant::now();
    for round in 0..2000 {
        let (name, bytes) = &fixtures[round % fixtures.len()];
        let mutant = mutate_text(bytes, &mut rng);
        let input = read_bounded(&mutant[..], 1 + rng.below(mutant.len() + 1)).unwrap();
        let result =
            std::panic::catch_unwind(|| analyse_bounded(&input.text, Duration::from_secs(5)));
        assert!(result.is_ok(), "{name}: round {round} panicked");
    }
    assert!(
        started.elapsed() < Duration::from_secs(40),
        "{:?}",
        started.elapsed()
    );
}

/// `pydoctor --format json explain FILE`, guarded against hangs.
fn explain_file(path: &Path) -> (i32, serde_json::Value, Duration) {
    use wait_timeout::ChildExt;
    let started = Instant::now();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("pydoctor"))
        .args(["--format", "json", "explain"])
        .arg(path)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut buf).unwrap();
        buf
    });
    let Some(status) = child.wait_timeout(Duration::from_secs(60)).unwrap() else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("explain {} hung", path.display());
    };
    let out = reader.join().unwrap();
    let json = serde_json::from_slice(&out).expect("whole JSON");
    (status.code().unwrap_or(-1), json, started.elapsed())
}

#[test]
fn explain_of_dev_zero_stops_reading_and_says_so() {
    let (code, json, elapsed) = explain_file(Path::new("/dev/zero"));
    assert_eq!(code, 3, "{json}");
    assert_eq!(json["extra"]["input"]["stopped_early"], true);
    let note = json["extra"]["note"].as_str().unwrap();
    assert!(note.contains("did not end"), "{note}");
    assert!(elapsed < Duration::from_secs(60));
}

#[test]
fn explain_of_a_fifo_without_a_writer_does_not_wait_for_one() {
    let tmp = tempfile::tempdir().unwrap();
    let fifo = tmp.path().join("paste");
    let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let (code, json, elapsed) = explain_file(&fifo);
    assert_eq!(code, 0, "no text, no failure: {json}");
    assert!(json["extra"]["note"].as_str().unwrap().contains("empty"));
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
}

#[test]
fn explain_of_a_fifo_with_a_writer_reads_what_it_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let fifo = tmp.path().join("paste");
    let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let writer_path = fifo.clone();
    // The writer opens (blocking until the reader is there), then writes a real error.
    let writer = std::thread::spawn(move || {
        let text = format!("Traceback (most recent call last):\n{ROOT}\n");
        std::fs::write(writer_path, text).unwrap();
    });
    let (code, json, _) = explain_file(&fifo);
    // If pydoctor came and went before the writer opened, the writer waits for a reader:
    // be that reader, so the thread can finish.
    {
        use std::os::unix::fs::OpenOptionsExt;
        let _reader = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&fifo);
        writer.join().unwrap();
    }
    // Either the writer was first (the error is read) or not yet (empty input); never a hang.
    assert!(code == 1 || code == 3, "{code} {json}");
}
