//! Whether a rendered fix can run as shown on this machine: every program its shell lines
//! call is on PATH (or exists, for an absolute path), and every absolute path it names exists
//! (or is written by an earlier step of the same snippet). Nix configuration lines are not
//! commands; in a snippet of `lang = "nix"` only the lines after a `# then …` comment are.

use std::path::Path;

use super::model::SnippetLang;
// The machine's facts are `env`'s; named here too for the callers that check snippets.
pub use crate::env::machine::Machine;

/// What a snippet needs that is not here.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Runnable {
    pub missing_commands: Vec<String>,
    pub missing_paths: Vec<String>,
}

impl Runnable {
    pub fn ok(&self) -> bool {
        self.missing_commands.is_empty() && self.missing_paths.is_empty()
    }
}

/// Words that are the shell's own, or that start a construct rather than name a program.
const SHELL_WORDS: &[&str] = &[
    "export", "cd", "test", "[", "echo", "for", "do", "done", "if", "then", "else", "fi", ".",
    "source", "set", "unset", "true", "false", "while", "case", "esac", "exit", "read", "continue",
    "break",
];

/// Lines that each end in a comment naming where they apply (`sudo apt-get install x   #
/// Debian`) are alternatives: the snippet runs here when one of them does.
pub fn check(snippet: &str, lang: SnippetLang, machine: &dyn Machine) -> Runnable {
    let lines = shell_lines(snippet, lang);
    let alternatives = lines.len() > 1 && lines.iter().all(|(_, commented)| *commented);
    if !alternatives {
        return check_lines(lines.into_iter().map(|(l, _)| l), machine);
    }
    let mut union = Runnable::default();
    for (line, _) in lines {
        let one = check_lines(std::iter::once(line), machine);
        if one.ok() {
            return one;
        }
        union.missing_commands.extend(one.missing_commands);
        union.missing_paths.extend(one.missing_paths);
    }
    union
}

fn check_lines(lines: impl Iterator<Item = String>, machine: &dyn Machine) -> Runnable {
    let mut result = Runnable::default();
    let mut written: Vec<String> = Vec::new();
    for line in lines {
        for segment in segments(&line) {
            let words = words(&segment);
            // `. FILE` and `source FILE` run a file of this machine, relative or not.
            if let [dot, file, ..] = words.as_slice()
                && (dot == "." || dot == "source")
                && !file.contains('$')
                && !machine.path_exists(Path::new(file))
                && !result.missing_paths.contains(file)
            {
                result.missing_paths.push(file.clone());
            }
            if let Some(program) = program_of(&words)
                && !machine.has_command(&program)
                && !result.missing_commands.contains(&program)
            {
                result.missing_commands.push(program);
            }
            let mut redirect = false;
            for word in &words {
                if redirect {
                    written.push(word.clone());
                    redirect = false;
                    continue;
                }
                if word == ">" || word == ">>" {
                    redirect = true;
                    continue;
                }
                if let Some(target) = word.strip_prefix('>') {
                    written.push(target.trim_start_matches('>').to_string());
                    continue;
                }
                if is_checked_path(word)
                    && !written.contains(word)
                    && !machine.path_exists(Path::new(word))
                    && !result.missing_paths.contains(word)
                {
                    result.missing_paths.push(word.clone());
                }
            }
        }
    }
    result
}

/// The lines of a snippet that a shell runs, with `\` continuations joined, and whether
/// each ended in a comment.
fn shell_lines(snippet: &str, lang: SnippetLang) -> Vec<(String, bool)> {
    let mut in_shell = lang == SnippetLang::Shell;
    let mut lines = Vec::new();
    let mut pending = String::new();
    for raw in snippet.lines() {
        let line = raw.trim();
        if line.starts_with('#') {
            if line.to_ascii_lowercase().starts_with("# then") {
                in_shell = true;
            }
            continue;
        }
        if !in_shell || line.is_empty() {
            continue;
        }
        // A trailing comment (`sudo apt-get install x   # Debian`) is not part of the command.
        let code = line.split(" # ").next().unwrap_or(line).trim_end();
        let commented = code.len() < line.len();
        match code.strip_suffix('\\') {
            Some(head) => {
                pending.push_str(head);
                pending.push(' ');
            }
            None => {
                pending.push_str(code);
                lines.push((std::mem::take(&mut pending), commented));
            }
        }
    }
    if !pending.is_empty() {
        lines.push((pending, false));
    }
    lines
}

/// Simple commands of a line: split at `&&`, `||`, `;`, `|` and the inside of `$( … )`.
fn segments(line: &str) -> Vec<String> {
    let spaced = line
        .replace("$(", " ; ")
        .replace(')', " $")
        .replace("&&", " ; ")
        .replace("||", " ; ")
        .replace('|', " ; ");
    spaced
        .split(';')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Words as the shell splits them: whitespace inside quotes does not split, and the quotes
/// themselves go (enough for the snippets rules write).
fn words(segment: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut started = false;
    for c in segment.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                started = true;
            }
            (None, c) if c.is_whitespace() => {
                if started || !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                started = false;
            }
            (None, c) => word.push(c),
        }
    }
    if started || !word.is_empty() {
        words.push(word);
    }
    words.retain(|w| !w.is_empty());
    words
}

/// The program a simple command runs: after `VAR=value` assignments and `sudo`/`env`
/// prefixes (which are programs too, but always there where the fix applies).
fn program_of(words: &[String]) -> Option<String> {
    let mut iter = words.iter().peekable();
    while let Some(word) = iter.next() {
        if word.contains('=') && !word.starts_with('-') && !word.starts_with('/') {
            continue;
        }
        if word == "sudo" {
            continue;
        }
        if word == "env" {
            while iter
                .peek()
                .is_some_and(|w| w.starts_with('-') || w.contains('='))
            {
                let flag = iter.next();
                if flag.is_some_and(|f| f == "-u") {
                    iter.next();
                }
            }
            continue;
        }
        if SHELL_WORDS.contains(&word.as_str()) || word.starts_with('$') || word.starts_with('>') {
            return None;
        }
        return Some(word.clone());
    }
    None
}

/// An absolute path with nothing left to expand, and no glob.
fn is_checked_path(word: &str) -> bool {
    word.starts_with('/') && !word.contains('$') && !word.contains('*') && !word.contains('{')
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Here;
    impl Machine for Here {
        fn has_command(&self, name: &str) -> bool {
            ["python3", "nix", "patchelf"].contains(&name) || name.starts_with("/usr/bin/")
        }
        fn path_exists(&self, path: &Path) -> bool {
            path.starts_with("/nix/store") || path.starts_with("/usr/bin")
        }
        fn is_rooted(&self, _: &Path) -> Option<bool> {
            None
        }
    }

    #[test]
    fn programs_and_paths_of_shell_lines_are_checked() {
        let snippet = "uv pip freeze --python /home/u/.venv/bin/python > /home/u/.venv.req \\\n  && test -s /home/u/.venv.req \\\n  && /usr/bin/python3 -m venv --clear /home/u/.venv\n";
        let r = check(snippet, SnippetLang::Shell, &Here);
        assert_eq!(r.missing_commands, ["uv"]);
        assert_eq!(
            r.missing_paths,
            ["/home/u/.venv/bin/python", "/home/u/.venv"]
        );
    }

    #[test]
    fn nix_configuration_is_not_a_command_but_what_follows_then_is() {
        let snippet = "# configuration.nix\nprograms.nix-ld.enable = true;\n# then recreate the venv\nuv venv --python 3.12 .venv\n";
        let r = check(snippet, SnippetLang::Nix, &Here);
        assert_eq!(r.missing_commands, ["uv"]);
    }

    #[test]
    fn a_sourced_file_must_exist_even_when_relative() {
        let r = check(". .venv/bin/activate\n", SnippetLang::Shell, &Here);
        assert_eq!(r.missing_paths, [".venv/bin/activate"]);
    }

    #[test]
    fn commented_lines_are_alternatives() {
        let snippet = "sudo apt-get install zlib1g   # Debian\nsudo patchelf x   # Other\n";
        assert!(check(snippet, SnippetLang::Shell, &Here).ok());
        let none = "sudo apt-get install zlib1g   # Debian\nsudo dnf install zlib   # Fedora\n";
        assert_eq!(
            check(none, SnippetLang::Shell, &Here).missing_commands,
            ["apt-get", "dnf"]
        );
    }

    #[test]
    fn quoted_assignments_are_one_word() {
        let snippet = "NIX_CONFIG='extra-experimental-features = nix-command flakes' nix run github:o/r -- --venv /nix/store/x\n";
        let r = check(snippet, SnippetLang::Shell, &Here);
        assert!(r.ok(), "{r:?}");
    }

    #[test]
    fn assignments_env_and_substitutions_are_seen_through() {
        let snippet = "export LD_LIBRARY_PATH=\"$(nix build --no-link --print-out-paths nixpkgs#zlib)/lib\"\nenv -u LD_LIBRARY_PATH python3 -c \"import numpy\"\nsudo apt-get install zlib1g\n";
        let r = check(snippet, SnippetLang::Shell, &Here);
        assert_eq!(r.missing_commands, ["apt-get"]);
        assert!(r.missing_paths.is_empty(), "{r:?}");
    }
}
