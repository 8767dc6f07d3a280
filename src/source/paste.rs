//! Cleaning pasted text into plain lines: what a terminal would have shown, without the
//! decoration logs add.
//!
//! Owns line splitting (LF, CRLF, a lone CR that overwrote the line), ANSI escape removal,
//! control characters, a per-line length cap, and the log prefixes of `rules/tables/paste.toml`
//! (CI timestamps, pytest's `E   `, quotes). It does not look for errors (see `traceback`).
//! Linear in the input: each byte is looked at a bounded number of times.

use super::messages::PasteRules;

/// Longest line kept, in bytes: nothing a pattern needs is further in (a 5 MB minified line
/// must not cost more than its first few KiB).
pub const MAX_LINE: usize = 4096;

/// How many stacked prefixes are removed from one line (timestamp, step, `E   `, quote …).
const MAX_PREFIX_ROUNDS: usize = 6;

/// The cleaned lines of `text`.
pub fn clean(text: &str, rules: &PasteRules) -> Vec<String> {
    // A paste with CRs and no LF at all came from a CR-only source: CR is its newline.
    let cr_only = !text.contains('\n') && text.contains('\r');
    let separator = if cr_only { '\r' } else { '\n' };
    text.split(separator)
        .flat_map(unflatten)
        .map(|raw| clean_line(raw, rules))
        .collect()
}

/// A message flattened onto one line by `repr()` or a JSON log (`…dependencies:\nnumpy: …`)
/// is split back at its literal `\n`s: at least two of them, so that one Windows path with a
/// `\n` in it (`C:\new`) is left alone, and never at `\\n` (an escaped backslash).
fn unflatten(raw: &str) -> Vec<&str> {
    let literal_newlines = raw
        .match_indices("\\n")
        .filter(|(at, _)| !escaped(raw, *at))
        .count();
    if literal_newlines < 2 {
        return vec![raw];
    }
    let mut parts = Vec::new();
    let mut start = 0;
    for (at, _) in raw.match_indices("\\n") {
        if at >= start && !escaped(raw, at) {
            parts.push(&raw[start..at]);
            start = at + 2;
        }
    }
    parts.push(&raw[start..]);
    parts
}

/// True when the backslash at `at` is itself escaped by the one before it.
fn escaped(raw: &str, at: usize) -> bool {
    raw[..at].ends_with('\\')
}

/// One raw line to what the user saw.
pub fn clean_line(raw: &str, rules: &PasteRules) -> String {
    let raw = raw.strip_suffix('\r').unwrap_or(raw);
    // A CR inside a line returned the cursor: what follows overwrote what came before.
    let raw = raw.rsplit('\r').next().unwrap_or(raw);
    // Escape sequences can be long; look at a bounded window before capping the result.
    let window = truncate_at_char(raw, MAX_LINE * 4);
    let mut line = strip_escapes_and_controls(window);
    line.truncate(truncate_at_char(&line, MAX_LINE).len());
    let line = decode_markup(&line);
    strip_suffixes(strip_prefixes(&line, rules), rules).to_string()
}

/// Remove a box's right border (one round: borders do not stack on the right).
fn strip_suffixes<'a>(line: &'a str, rules: &PasteRules) -> &'a str {
    rules
        .suffixes
        .iter()
        .find_map(|re| re.find(line).filter(|m| m.end() == line.len()))
        .map_or(line, |m| &line[..m.start()])
}

/// Undo what web pages and Markdown did to the text: HTML entities (`&#39;`, `&gt;`,
/// `&nbsp;`), Markdown's backslash escapes (`\_\_init\_\_`), and a URL's `%20` encoding.
/// Windows paths keep their backslashes: only Markdown's punctuation is unescaped.
fn decode_markup(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let url_encoded = line.contains("%20") && !line.contains(' ');
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        let (text, used) = match c {
            '&' => entity(rest).unwrap_or(("&".into(), 1)),
            '\\' => match rest[1..].chars().next() {
                Some(n) if "_*()[]<>#`".contains(n) => (n.to_string(), 1 + n.len_utf8()),
                _ => ("\\".into(), 1),
            },
            '%' if url_encoded => percent(rest).unwrap_or(("%".into(), 1)),
            c => (c.to_string(), c.len_utf8()),
        };
        out.push_str(&text);
        rest = &rest[used..];
    }
    out
}

/// An HTML entity at the start of `s`: its text and its length.
fn entity(s: &str) -> Option<(String, usize)> {
    let end = truncate_at_char(s, 12).find(';')?;
    let name = &s[1..end];
    let text = match name {
        "lt" => "<".to_string(),
        "gt" => ">".to_string(),
        "amp" => "&".to_string(),
        "quot" => "\"".to_string(),
        "apos" => "'".to_string(),
        "nbsp" => " ".to_string(),
        _ => {
            let code = match name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => name.strip_prefix('#')?.parse().ok()?,
            };
            char::from_u32(code)
                .filter(|c| !c.is_control())?
                .to_string()
        }
    };
    Some((text, end + 1))
}

/// `%20`, `%3A` … at the start of `s`, for printable ASCII only.
fn percent(s: &str) -> Option<(String, usize)> {
    let hex = s.get(1..3)?;
    let byte = u8::from_str_radix(hex, 16).ok()?;
    (byte.is_ascii_graphic() || byte == b' ').then(|| ((byte as char).to_string(), 3))
}

/// Remove stacked log prefixes.
fn strip_prefixes<'a>(mut line: &'a str, rules: &PasteRules) -> &'a str {
    for _ in 0..MAX_PREFIX_ROUNDS {
        let Some(found) = rules
            .prefixes
            .iter()
            .filter_map(|re| re.find(line))
            .find(|m| m.start() == 0 && m.end() > 0)
        else {
            break;
        };
        // A quote prefix regex may include the first quoted character; keep it.
        let end = quote_safe_end(line, found.end(), found.as_str());
        line = &line[end..];
    }
    line
}

/// The `quote` prefix matches `> x` up to and including `x` (to refuse `>>>`); give the
/// character after the marker back.
fn quote_safe_end(line: &str, end: usize, matched: &str) -> usize {
    if matched.starts_with('>') && matched.len() > 1 && !matched.ends_with(' ') {
        let last = matched.chars().last().map_or(0, char::len_utf8);
        return end - last;
    }
    let _ = line;
    end
}

/// True when the line cannot belong to an exception message (shell prompt, banner, footer).
pub fn is_end(line: &str, rules: &PasteRules) -> bool {
    rules.ends.is_match(line)
}

/// The longest prefix of `s` of at most `max` bytes that ends on a char boundary.
pub fn truncate_at_char(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Drop ANSI/VT escape sequences (CSI, OSC, two-byte ESC forms) and control characters
/// other than TAB. NUL and other binary garbage disappear here.
fn strip_escapes_and_controls(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.next() {
                // CSI: parameters and intermediates, then one final byte in @..~.
                Some('[') => {
                    for d in chars.by_ref() {
                        if ('@'..='~').contains(&d) {
                            break;
                        }
                    }
                }
                // OSC (hyperlinks, titles): until BEL or ESC \.
                Some(']') => {
                    while let Some(d) = chars.next() {
                        if d == '\u{7}' {
                            break;
                        }
                        if d == '\u{1b}' {
                            if chars.peek() == Some(&'\\') {
                                chars.next();
                            }
                            break;
                        }
                    }
                }
                _ => {}
            },
            // The C1 CSI introducer.
            '\u{9b}' => {
                for d in chars.by_ref() {
                    if ('@'..='~').contains(&d) {
                        break;
                    }
                }
            }
            '\t' => out.push('\t'),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::messages::Tables;

    fn rules() -> &'static PasteRules {
        &Tables::builtin().unwrap().paste
    }

    #[test]
    fn ansi_colour_and_hyperlinks_are_removed() {
        let line = "\u{1b}[1;31mImportError\u{1b}[0m: \u{1b}]8;;file:///x\u{7}libz.so.1\u{1b}]8;;\u{7}: cannot open";
        assert_eq!(
            clean_line(line, rules()),
            "ImportError: libz.so.1: cannot open"
        );
    }

    #[test]
    fn crlf_and_overwritten_lines_keep_what_was_seen() {
        assert_eq!(
            clean("a\r\nb\r\n", rules()),
            vec!["a".to_string(), "b".into(), "".into()]
        );
        assert_eq!(clean_line("10%\r50%\r100%", rules()), "100%");
    }

    #[test]
    fn ci_timestamps_and_pytest_markers_stack() {
        let line = "2024-05-01T12:00:00.1234567Z E     File \"/a/x.py\", line 3, in <module>";
        assert_eq!(
            clean_line(line, rules()),
            "  File \"/a/x.py\", line 3, in <module>"
        );
        assert_eq!(
            clean_line("2024-05-01T12:00:00.123456Z 01E+ ImportError: x", rules()),
            "ImportError: x"
        );
        assert_eq!(
            clean_line("[stage 3/5] ImportError: x", rules()),
            "ImportError: x"
        );
        assert_eq!(
            clean_line("#9 1.234 ImportError: x", rules()),
            "ImportError: x"
        );
    }

    #[test]
    fn quotes_are_removed_but_the_repl_prompt_is_kept() {
        assert_eq!(clean_line("> > ImportError: x", rules()), "ImportError: x");
        assert_eq!(clean_line(">>> import numpy", rules()), ">>> import numpy");
        assert_eq!(clean_line(">", rules()), "");
    }

    #[test]
    fn huge_lines_and_garbage_are_bounded() {
        let line = "x".repeat(5_000_000);
        assert_eq!(clean_line(&line, rules()).len(), MAX_LINE);
        let garbage = "\u{0}\u{1}\u{fffd}\u{7f}abc";
        assert_eq!(clean_line(garbage, rules()), "\u{fffd}abc");
        assert_eq!(truncate_at_char("éé", 3), "é");
    }

    #[test]
    fn html_entities_markdown_escapes_and_url_encoding_are_undone() {
        assert_eq!(
            clean_line("&gt; ImportError: No module named &#39;cv2&#39;", rules()),
            "ImportError: No module named 'cv2'"
        );
        assert_eq!(
            clean_line(
                "&nbsp;&nbsp;File \"pacparser\\\\_\\_init\\_\\_.py\", line 31, in &lt;module&gt;",
                rules()
            ),
            "  File \"pacparser\\__init__.py\", line 31, in <module>"
        );
        assert_eq!(
            clean_line(
                "libtorch_cuda.so:%20undefined%20symbol:%20ncclCommRegister",
                rules()
            ),
            "libtorch_cuda.so: undefined symbol: ncclCommRegister"
        );
        assert_eq!(
            clean_line("a & b &unknown; 100%", rules()),
            "a & b &unknown; 100%"
        );
        assert_eq!(
            clean_line(r"C:\Users\x\site-packages", rules()),
            r"C:\Users\x\site-packages"
        );
    }

    #[test]
    fn a_message_flattened_by_repr_is_split_at_its_literal_newlines() {
        let lines = clean(
            "ImportError('Unable to import required dependencies:\\nnumpy: x\\npytz: y')",
            rules(),
        );
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[1], "numpy: x");
        assert_eq!(clean(r"C:\new\x and C:\\nope\\nah", rules()).len(), 1);
    }

    #[test]
    fn box_borders_journald_and_log_levels_are_removed() {
        assert_eq!(
            clean_line("│ /home/u/x.py:3 in <module>                    │", rules()),
            "/home/u/x.py:3 in <module>"
        );
        assert_eq!(
            clean_line("╭──── Traceback (most recent call last) ────╮", rules()),
            "Traceback (most recent call last)"
        );
        assert_eq!(
            clean_line("Dec 01 10:00:00 box python3[1234]: ImportError: x", rules()),
            "ImportError: x"
        );
        assert_eq!(
            clean_line("02:54:18-197331 ERROR    Could not load torch: x", rules()),
            "Could not load torch: x"
        );
    }

    #[test]
    fn prompts_and_banners_end_a_message() {
        assert!(is_end("user@host:~/proj$ ", rules()));
        assert!(is_end("===== short test summary info =====", rules()));
        assert!(!is_end("Original error was: x", rules()));
    }
}
