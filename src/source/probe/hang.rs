//! Where a hanging import was: read from the stack dump `probe.py` has faulthandler write when
//! the import outlives its watch.
//!
//! The dump lists every thread, innermost frame first:
//! ```text
//! Thread 0x00007fc36ac7bb80 (most recent call first):
//!   File "/venv/…/pkg/net.py", line 12 in connect
//!   File "/venv/…/pkg/__init__.py", line 3 in <module>
//!   File "<frozen importlib._bootstrap>", line 241 in _call_with_frames_removed
//!   File "/tmp/pydoctor-probe-…/pydoctor_probe.py", line 224 in probe_import
//! ```
//! The thread doing the import is the one that passes through the probe's `probe_import`.

use super::ProbeResult;
use crate::evidence::{CauseKind, Finding, FindingSource};

/// The finding of an import of `module` that outlived its time limit: its cause is not known
/// (the import never reached a loader error), its time limit and place are.
pub fn timeout_finding(module: &str, result: &ProbeResult) -> Finding {
    let limit = result
        .time_limit_seconds
        .map(|s| format!(" within {s} s"))
        .unwrap_or_default();
    let at = result
        .stuck_at
        .as_deref()
        .map(|at| format!("; it was at {at}"))
        .unwrap_or_default();
    let detail = format!("importing {module} did not finish{limit}{at}");
    Finding {
        timeout_seconds: result.time_limit_seconds,
        stuck_at: result.stuck_at.clone(),
        ..Finding::new(CauseKind::Unknown, FindingSource::Probe, detail).library(module)
    }
}

/// One `File "…", line N in F` line.
#[derive(Debug, PartialEq, Eq)]
struct DumpFrame<'a> {
    file: &'a str,
    line: &'a str,
    function: &'a str,
}

/// The function of probe.py that runs the import.
const PROBE_FRAME: &str = "probe_import";

/// Where the import was, in words: `line 3 of /x/pkg/net.py, in connect, called from line 12
/// of /x/pkg/__init__.py` (the module whose import was running). None when the dump holds no
/// thread doing the import.
pub fn stuck_at(dump: &str) -> Option<String> {
    let frames = import_thread(dump)?;
    let innermost = frames.first()?;
    let module = frames.iter().find(|f| f.function == "<module>");
    let at = |f: &DumpFrame| format!("line {} of {}", f.line, f.file);
    Some(match module {
        Some(m) if m == innermost => at(m),
        Some(m) => format!(
            "{}, in {}, called from {}",
            at(innermost),
            innermost.function,
            at(m)
        ),
        None => format!("{}, in {}", at(innermost), innermost.function),
    })
}

/// The frames of the import's own code, innermost first: the probe's frames and those of the
/// import machinery (`<frozen importlib…>`) left out.
fn import_thread(dump: &str) -> Option<Vec<DumpFrame<'_>>> {
    let mut thread = Vec::new();
    for line in dump.lines() {
        if !line.starts_with(char::is_whitespace) {
            thread.clear();
            continue;
        }
        let Some(frame) = parse_frame(line) else {
            continue;
        };
        if frame.function == PROBE_FRAME {
            thread.retain(|f: &DumpFrame| !f.file.starts_with("<frozen "));
            return Some(thread);
        }
        thread.push(frame);
    }
    None
}

fn parse_frame(line: &str) -> Option<DumpFrame<'_>> {
    let rest = line.trim_start().strip_prefix("File \"")?;
    let (file, rest) = rest.rsplit_once("\", line ")?;
    let (line, function) = rest.split_once(" in ")?;
    Some(DumpFrame {
        file,
        line,
        function: function.trim_end(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DUMP: &str = r#"Timeout (0:00:01)!
Thread 0x00007fc3696336c0 (most recent call first):
  File "/py/lib/python3.11/threading.py", line 982 in run
  File "/py/lib/python3.11/threading.py", line 1002 in _bootstrap

Thread 0x00007fc36ac7bb80 (most recent call first):
  File "/t/hang2.py", line 3 in wait
  File "/t/hang2.py", line 4 in <module>
  File "<frozen importlib._bootstrap>", line 241 in _call_with_frames_removed
  File "<frozen importlib._bootstrap>", line 1176 in _find_and_load
  File "/t/hang1.py", line 3 in <module>
  File "<frozen importlib._bootstrap>", line 1176 in _find_and_load
  File "/tmp/pydoctor-probe-x/pydoctor_probe.py", line 254 in probe_import
  File "/tmp/pydoctor-probe-x/pydoctor_probe.py", line 294 in main
"#;

    #[test]
    fn the_innermost_frame_of_the_importing_thread_and_its_module() {
        assert_eq!(
            stuck_at(DUMP).as_deref(),
            Some("line 3 of /t/hang2.py, in wait, called from line 4 of /t/hang2.py")
        );
    }

    #[test]
    fn a_hang_in_module_code_names_that_line_alone() {
        let dump = "Current thread 0x1 (most recent call first):\n  File \"/t/m.py\", line 5 in <module>\n  File \"/p/pydoctor_probe.py\", line 9 in probe_import\n";
        assert_eq!(stuck_at(dump).as_deref(), Some("line 5 of /t/m.py"));
    }

    #[test]
    fn a_dump_without_the_probe_says_nothing() {
        assert_eq!(
            stuck_at("Thread 0x1:\n  File \"/a.py\", line 1 in f\n"),
            None
        );
        assert_eq!(stuck_at(""), None);
    }
}
