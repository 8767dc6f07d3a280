//! Finding Python tracebacks in cleaned lines and parsing each exception chain.
//!
//! Owns the shape of CPython's traceback output (the `Traceback (most recent call last):`
//! header, `File "…", line N, in f` frames, the two chain separators, the exception line and
//! its multi-line message). It copes with a paste cut off at the top (frames or a message
//! without their header) and with only the last line. It does not judge what the errors mean
//! (see `text_evidence`). Every line is looked at once: linear in the input.

use std::sync::OnceLock;

use regex::Regex;

use super::messages::PasteRules;
use super::paste::is_end;
use crate::evidence::{ChainLink, Frame};

/// CPython's header of a traceback.
const HEADER: &str = "Traceback (most recent call last):";
/// CPython's separators between the links of a chain (`raise … from …`, implicit context).
const SEPARATORS: [&str; 2] = [
    "The above exception was the direct cause of the following exception:",
    "During handling of the above exception, another exception occurred:",
];
/// Bounds on one message, so a log that never ends a message stays cheap.
const MAX_MESSAGE_LINES: usize = 400;
const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// Lines remembered before a separator, for a chain cut off in the middle of a message.
const MAX_ORPHAN_LINES: usize = 40;

/// One exception chain found in the text, root cause first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedChain {
    pub links: Vec<ChainLink>,
    /// The first and one-past-last line index of the chain in the cleaned lines.
    pub lines: (usize, usize),
}

fn frame_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r#"^\s*File "(?P<file>[^"]*)", line (?P<line>\d+)(?:, in (?P<func>.+))?$"#)
            .expect("static regex")
    })
}

fn exception_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"^(?P<type>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)(?::(?: ?(?P<msg>.*))?)?$")
            .expect("static regex")
    })
}

#[derive(Debug, Default)]
struct LinkBuilder {
    exc_type: String,
    message: Vec<String>,
    message_bytes: usize,
    frames: Vec<Frame>,
    file_indent: Option<usize>,
}

impl LinkBuilder {
    fn push_message(&mut self, line: &str) {
        if self.message.len() < MAX_MESSAGE_LINES && self.message_bytes < MAX_MESSAGE_BYTES {
            self.message_bytes += line.len() + 1;
            self.message.push(line.trim_end().to_string());
        }
    }

    fn finish(self) -> Option<ChainLink> {
        let first = self.message.iter().position(|l| !l.trim().is_empty());
        let last = self.message.iter().rposition(|l| !l.trim().is_empty());
        let message = match (first, last) {
            (Some(a), Some(b)) => self.message[a..=b].join("\n"),
            _ => String::new(),
        };
        if self.exc_type.is_empty() && message.is_empty() {
            return None;
        }
        Some(ChainLink {
            exc_type: self.exc_type,
            message,
            frames: self.frames,
        })
    }
}

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum State {
    Idle,
    Frames,
    Message,
}

struct Parser<'a> {
    rules: &'a PasteRules,
    out: Vec<ParsedChain>,
    chain: Option<ParsedChain>,
    link: Option<LinkBuilder>,
    state: State,
    /// A separator was seen: the next traceback continues the same chain.
    pending_separator: bool,
    orphans: Vec<String>,
}

/// Every exception chain in `lines`, in the order they appear.
pub fn parse(lines: &[String], rules: &PasteRules) -> Vec<ParsedChain> {
    let mut parser = Parser {
        rules,
        out: Vec::new(),
        chain: None,
        link: None,
        state: State::Idle,
        pending_separator: false,
        orphans: Vec::new(),
    };
    for (index, line) in lines.iter().enumerate() {
        parser.line(index, line);
    }
    parser.finish_chain(lines.len());
    parser.out
}

impl Parser<'_> {
    fn line(&mut self, index: usize, line: &str) {
        let trimmed = line.trim();
        if is_header(trimmed) {
            self.start_traceback(index);
            return;
        }
        if SEPARATORS.contains(&trimmed) {
            self.separator(index);
            return;
        }
        match self.state {
            State::Frames => self.frames_line(index, line),
            State::Message => self.message_line(index, line),
            State::Idle => self.idle_line(index, line),
        }
    }

    fn start_traceback(&mut self, index: usize) {
        self.finish_link(index);
        if !self.pending_separator {
            self.finish_chain(index);
        }
        self.ensure_chain(index);
        self.pending_separator = false;
        self.link = Some(LinkBuilder::default());
        self.state = State::Frames;
    }

    fn separator(&mut self, index: usize) {
        if self.link.is_none() && self.chain.is_none() {
            // Cut off at the top, in the middle of a message: what came before is a link.
            self.link = Some(orphan_link(std::mem::take(&mut self.orphans)));
            self.ensure_chain(index.saturating_sub(1));
        }
        self.finish_link(index);
        self.ensure_chain(index);
        self.pending_separator = true;
        self.state = State::Idle;
    }

    fn frames_line(&mut self, index: usize, line: &str) {
        let indent = indent_of(line);
        let link = self.link.get_or_insert_with(LinkBuilder::default);
        if let Some(frame) = parse_frame(line, self.rules) {
            link.frames.push(frame);
            link.file_indent = Some(indent);
            return;
        }
        let trimmed = line.trim();
        if trimmed.is_empty()
            || trimmed.starts_with("[Previous line repeated")
            || is_source_listing(trimmed)
        {
            return;
        }
        // Source lines and `^^^^` markers are indented deeper than their `File` line.
        if link
            .file_indent
            .is_some_and(|file_indent| indent > file_indent)
        {
            return;
        }
        self.exception_line(index, trimmed);
    }

    fn exception_line(&mut self, index: usize, trimmed: &str) {
        let link = self.link.get_or_insert_with(LinkBuilder::default);
        match exception_regex().captures(trimmed) {
            Some(caps) => {
                link.exc_type = caps["type"].to_string();
                if let Some(msg) = caps.name("msg") {
                    link.push_message(msg.as_str());
                }
            }
            None => link.push_message(trimmed),
        }
        if let Some(chain) = &mut self.chain {
            chain.lines.1 = index + 1;
        }
        self.state = State::Message;
    }

    fn message_line(&mut self, index: usize, line: &str) {
        if is_end(line, self.rules) {
            self.finish_link(index);
            self.finish_chain(index);
            return;
        }
        if let Some(link) = &mut self.link {
            link.push_message(line);
        }
        if let Some(chain) = &mut self.chain
            && !line.trim().is_empty()
        {
            chain.lines.1 = index + 1;
        }
    }

    fn idle_line(&mut self, index: usize, line: &str) {
        if let Some(frame) = parse_frame(line, self.rules) {
            // Frames without their header: the paste was cut off at the top.
            if !self.pending_separator {
                self.finish_chain(index);
            }
            self.ensure_chain(index);
            self.pending_separator = false;
            self.link = Some(LinkBuilder {
                file_indent: Some(indent_of(line)),
                frames: vec![frame],
                ..LinkBuilder::default()
            });
            self.state = State::Frames;
            return;
        }
        let trimmed = line.trim();
        if trimmed.is_empty() {
            return;
        }
        let repr = repr_exception(trimmed);
        let trimmed = repr.as_deref().unwrap_or(trimmed);
        if !is_end(line, self.rules) && looks_like_exception_line(trimmed) {
            // A bare exception line: only the last line was pasted, or a chain link with
            // its traceback cut away.
            if !self.pending_separator {
                self.finish_chain(index);
            }
            self.ensure_chain(index);
            self.pending_separator = false;
            self.link = Some(LinkBuilder::default());
            self.exception_line(index, trimmed);
            return;
        }
        if self.chain.is_none() {
            self.orphans.push(line.to_string());
            if self.orphans.len() > MAX_ORPHAN_LINES {
                self.orphans.remove(0);
            }
        }
    }

    fn ensure_chain(&mut self, index: usize) {
        if self.chain.is_none() {
            self.chain = Some(ParsedChain {
                links: Vec::new(),
                lines: (index, index + 1),
            });
        }
    }

    fn finish_link(&mut self, index: usize) {
        if let Some(link) = self.link.take().and_then(LinkBuilder::finish) {
            self.ensure_chain(index);
            if let Some(chain) = &mut self.chain {
                chain.links.push(link);
            }
        }
        self.state = State::Idle;
    }

    fn finish_chain(&mut self, index: usize) {
        self.finish_link(index);
        if let Some(chain) = self.chain.take()
            && !chain.links.is_empty()
        {
            self.out.push(chain);
        }
        self.pending_separator = false;
        self.orphans.clear();
    }
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// CPython's header, also as IPython (`ImportError     Traceback (most recent call last)`)
/// and rich (the box's title) print it.
fn is_header(trimmed: &str) -> bool {
    trimmed == HEADER
        || trimmed
            .trim_end_matches(':')
            .ends_with(HEADER.trim_end_matches(':'))
            && trimmed.len() < 200
}

/// IPython's numbered source listing under a frame (`---> 81 from torch._C import *`,
/// `     79 del _dl_flags`).
fn is_source_listing(trimmed: &str) -> bool {
    let rest = trimmed
        .trim_start_matches('-')
        .trim_start_matches('>')
        .trim_start();
    let digits = rest.chars().take_while(char::is_ascii_digit).count();
    digits > 0 && (rest.len() == digits || rest[digits..].starts_with(' '))
}

/// A frame line: CPython's, else one of the other tools' of `paste.toml`.
fn parse_frame(line: &str, rules: &PasteRules) -> Option<Frame> {
    let line = line.trim_end();
    let caps = frame_regex()
        .captures(line)
        .or_else(|| rules.frames.iter().find_map(|re| re.captures(line)))?;
    Some(Frame {
        file: caps["file"].to_string(),
        line: caps.name("line").and_then(|m| m.as_str().parse().ok()),
        function: caps.name("func").map(|m| m.as_str().to_string()),
    })
}

/// `… ImportError('message` as `repr()` of an exception writes it in a log line, read as
/// `ImportError: message`.
fn repr_exception(trimmed: &str) -> Option<String> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r#"(?-u:\b)(?P<type>[A-Z]\w*(?:Error|Exception))\(['"](?P<msg>.*)$"#)
            .expect("static regex")
    });
    let caps = re.captures(trimmed)?;
    Some(format!("{}: {}", &caps["type"], &caps["msg"]))
}

/// A line that reads as `SomeError: message` on its own, outside any traceback. Stricter than
/// inside a traceback: the type must be named like an exception.
fn looks_like_exception_line(trimmed: &str) -> bool {
    let Some(caps) = exception_regex().captures(trimmed) else {
        return false;
    };
    let name = caps["type"].rsplit('.').next().unwrap_or_default();
    let named_like_exception = ["Error", "Exception", "Warning", "Exit", "Interrupt"]
        .iter()
        .any(|suffix| name.ends_with(suffix) && name.len() > suffix.len());
    named_like_exception && caps.name("msg").is_some()
}

/// A message whose start was cut off: find its exception line if it is still there.
fn orphan_link(lines: Vec<String>) -> LinkBuilder {
    let mut link = LinkBuilder::default();
    let start = lines
        .iter()
        .rposition(|l| looks_like_exception_line(l.trim()))
        .unwrap_or(0);
    for (i, line) in lines[start..].iter().enumerate() {
        if i == 0
            && let Some(caps) = exception_regex().captures(line.trim())
            && looks_like_exception_line(line.trim())
        {
            link.exc_type = caps["type"].to_string();
            link.push_message(caps.name("msg").map_or("", |m| m.as_str()));
            continue;
        }
        link.push_message(line);
    }
    link
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::messages::Tables;
    use crate::source::paste::clean;

    fn chains(text: &str) -> Vec<ParsedChain> {
        let rules = &Tables::builtin().unwrap().paste;
        parse(&clean(text, rules), rules)
    }

    const CHAINED: &str = r#"Traceback (most recent call last):
  File "/v/lib/python3.11/site-packages/numpy/_core/multiarray.py", line 11, in <module>
    from . import _multiarray_umath, overrides
ImportError: libstdc++.so.6: cannot open shared object file: No such file or directory

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "<string>", line 1, in <module>
  File "/v/lib/python3.11/site-packages/numpy/__init__.py", line 117, in <module>
    raise ImportError(msg) from e
    ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
ImportError: Error importing numpy: you should not try to import numpy from
        its source directory; please exit the numpy source tree, and relaunch
        your python interpreter from there.
"#;

    #[test]
    fn a_chain_is_parsed_root_first_with_frames_and_multiline_messages() {
        let found = chains(CHAINED);
        assert_eq!(found.len(), 1);
        let links = &found[0].links;
        assert_eq!(links.len(), 2);
        assert_eq!(links[0].exc_type, "ImportError");
        assert!(links[0].message.starts_with("libstdc++.so.6: cannot open"));
        assert_eq!(links[0].frames.len(), 1);
        assert_eq!(links[0].frames[0].line, Some(11));
        assert_eq!(links[1].frames.len(), 2);
        assert_eq!(links[1].message.lines().count(), 3);
    }

    #[test]
    fn only_the_last_line_is_a_one_link_chain() {
        let found = chains(
            "ImportError: libstdc++.so.6: cannot open shared object file: No such file or directory\n",
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].links[0].exc_type, "ImportError");
    }

    #[test]
    fn two_tracebacks_are_two_chains_and_a_prompt_ends_a_message() {
        let text = format!("{CHAINED}\n$ python -c 'import x'\n{CHAINED}user@host:~$ \n");
        let found = chains(&text);
        assert_eq!(found.len(), 2);
        assert!(!found[1].links[1].message.contains("user@host"));
    }

    #[test]
    fn a_paste_cut_off_inside_the_first_message_keeps_the_fragment() {
        let text = "installed.\n\nOriginal error was: libz.so.1: cannot open shared object file: No such file or directory\n\nThe above exception was the direct cause of the following exception:\n\nTraceback (most recent call last):\n  File \"<string>\", line 1, in <module>\nImportError: boom\n";
        let found = chains(text);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].links.len(), 2);
        assert!(found[0].links[0].message.contains("Original error was"));
        assert_eq!(found[0].links[1].message, "boom");
    }

    #[test]
    fn frames_without_a_header_start_a_chain() {
        let text = "  File \"/a/b.py\", line 3, in f\n    g()\nKeyError: 'x'\n";
        let found = chains(text);
        assert_eq!(found[0].links[0].exc_type, "KeyError");
        assert_eq!(found[0].links[0].frames[0].file, "/a/b.py");
    }

    #[test]
    fn a_jupyter_traceback_gives_its_frames_and_error() {
        let text = "---------------------------------------------------------------------------\nImportError                               Traceback (most recent call last)\n<ipython-input-3-eb42ca6e4af3> in <module>\n----> 1 import torch\n\n~/.venv/lib/python3.8/site-packages/torch/__init__.py in <module>\n     79 del _dl_flags\n---> 81 from torch._C import *\n\nImportError: libc10.so: cannot open shared object file: No such file or directory\n";
        let found = chains(text);
        assert_eq!(found.len(), 1);
        let link = &found[0].links[0];
        assert_eq!(link.exc_type, "ImportError");
        assert_eq!(link.frames.len(), 2);
        assert!(link.frames[1].file.contains("site-packages/torch/"));
        assert!(link.message.starts_with("libc10.so"));
    }

    #[test]
    fn a_rich_traceback_in_its_box_gives_its_frames() {
        let text = "╭───────── Traceback (most recent call last) ─────────╮\n│ /v/lib/python3.12/site-packages/numpy/__init__.py:114 in <module> │\n│                                                     │\n╰─────────────────────────────────────────────────────╯\nImportError: libz.so.1: cannot open shared object file\n";
        let found = chains(text);
        assert_eq!(found[0].links[0].frames.len(), 1);
        assert_eq!(found[0].links[0].frames[0].line, Some(114));
        assert_eq!(found[0].links[0].exc_type, "ImportError");
    }

    #[test]
    fn noise_is_not_a_traceback() {
        assert!(chains("hello\nError: Process completed with exit code 1.\n").is_empty());
        assert!(chains("").is_empty());
    }
}
