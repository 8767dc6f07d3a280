//! Reading the docs for `tests/docs_commands.rs`: the Markdown files to check, their
//! ```` ```console ```` blocks with the `<!-- docs-test: … -->` marker before each, the
//! `$ pydoctor …` lines with their documented output, a shell-words splitter (no shell is
//! run), and the in-place rewrite of outputs.
#![allow(dead_code)]

use std::ops::Range;
use std::path::{Path, PathBuf};

/// How a block is checked (see tests/docs_commands.rs).
#[derive(Debug, Default, Clone)]
pub struct Marker {
    pub exact: bool,
    pub capture: bool,
    pub nixlike: bool,
    pub exit: Option<i32>,
    pub keys: Vec<String>,
    pub stdin: Option<String>,
    /// `env=NAME=VALUE`: extra variables for the command.
    pub env: Vec<(String, String)>,
}

#[derive(Debug)]
pub struct DocCommand {
    /// 1-based line number of the `$ pydoctor` line.
    pub line: usize,
    /// The line without its `$ `.
    pub text: String,
    pub output: Vec<String>,
    /// 0-based line indexes of the output in the file.
    pub output_lines: Range<usize>,
}

#[derive(Debug)]
pub struct Block {
    pub marker: Marker,
    pub commands: Vec<DocCommand>,
}

#[derive(Debug)]
pub struct Doc {
    pub blocks: Vec<Block>,
}

/// README.md and every `*.md` under docs/, sorted.
pub fn doc_files(root: &Path) -> Vec<PathBuf> {
    let mut files = vec![root.join("README.md")];
    let mut dirs = vec![root.join("docs")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                files.push(path);
            }
        }
    }
    files.retain(|f| f.exists());
    files.sort();
    files
}

pub fn parse_doc(text: &str) -> Result<Doc, String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim_start();
        if !line.starts_with("```") {
            i += 1;
            continue;
        }
        let console = line.trim_start_matches('`').trim().starts_with("console");
        let end = (i + 1..lines.len())
            .find(|&j| lines[j].trim_start().starts_with("```"))
            .ok_or_else(|| format!("line {}: unclosed code block", i + 1))?;
        if console {
            let marker = match i.checked_sub(1).map(|p| lines[p].trim()) {
                Some(prev) if prev.starts_with("<!-- docs-test:") => {
                    parse_marker(prev).map_err(|e| format!("line {}: {e}", i))?
                }
                _ => Marker::default(),
            };
            let commands = commands_in(&lines, i + 1, end);
            if !commands.is_empty() {
                blocks.push(Block { marker, commands });
            }
        }
        i = end + 1;
    }
    Ok(Doc { blocks })
}

fn commands_in(lines: &[&str], start: usize, end: usize) -> Vec<DocCommand> {
    let mut commands: Vec<DocCommand> = Vec::new();
    let mut current: Option<DocCommand> = None;
    for (j, line) in lines.iter().enumerate().take(end).skip(start) {
        if line.starts_with("$ ") {
            commands.extend(current.take());
            if let Some(text) = line
                .strip_prefix("$ ")
                .filter(|t| t.starts_with("pydoctor "))
            {
                current = Some(DocCommand {
                    line: j + 1,
                    text: text.to_string(),
                    output: Vec::new(),
                    output_lines: j + 1..j + 1,
                });
            }
        } else if let Some(c) = current.as_mut() {
            c.output.push(line.to_string());
            c.output_lines.end = j + 1;
        }
    }
    commands.extend(current);
    commands
}

fn parse_marker(line: &str) -> Result<Marker, String> {
    let inner = line
        .trim_start_matches("<!-- docs-test:")
        .trim_end_matches("-->")
        .trim();
    let mut marker = Marker::default();
    for word in split_words(inner)? {
        match word.split_once('=') {
            None if word == "exact" => marker.exact = true,
            None if word == "capture" => marker.capture = true,
            None if word == "nixlike" => marker.nixlike = true,
            Some(("exit", n)) => {
                marker.exit = Some(n.parse().map_err(|_| format!("bad exit code {n:?}"))?)
            }
            Some(("key", k)) => marker.keys.push(k.to_string()),
            Some(("stdin", f)) => marker.stdin = Some(f.to_string()),
            Some(("env", kv)) => {
                let (k, v) = kv.split_once('=').ok_or("env= needs NAME=VALUE")?;
                marker.env.push((k.to_string(), v.to_string()));
            }
            _ => return Err(format!("unknown docs-test word {word:?}")),
        }
    }
    Ok(marker)
}

/// Split a command line into words: single quotes, double quotes (with `\"`, `\\`, `\$`,
/// `` \` ``), and backslash escapes. Shell operators and expansions are refused: the docs'
/// commands run without a shell, so they must not need one.
pub fn split_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err("unclosed single quote".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => word.push(c),
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err("unclosed double quote".into()),
                        },
                        Some('$' | '`') => return Err("expansion inside double quotes".into()),
                        Some(c) => word.push(c),
                        None => return Err("unclosed double quote".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                word.push(chars.next().ok_or("trailing backslash")?);
            }
            '|' | '<' | '>' | ';' | '&' | '$' | '`' | '(' | ')' | '*' | '?' => {
                return Err(format!("shell syntax `{c}` (the docs test runs no shell)"));
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// `text` with each output range replaced by the new output (ranges do not overlap).
pub fn rewrite(text: &str, rewrites: &[(Range<usize>, String)]) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut next = 0;
    let mut sorted: Vec<&(Range<usize>, String)> = rewrites.iter().collect();
    sorted.sort_by_key(|(range, _)| range.start);
    for (range, new) in sorted {
        out.extend(lines[next..range.start].iter().map(|l| l.to_string()));
        out.extend(new.lines().map(str::to_string));
        // A blank line that separated this output from the next command stays.
        if range.end > range.start && lines[range.end - 1].trim().is_empty() {
            out.push(String::new());
        }
        next = range.end;
    }
    out.extend(lines[next..].iter().map(|l| l.to_string()));
    let mut joined = out.join("\n");
    if text.ends_with('\n') {
        joined.push('\n');
    }
    joined
}
