//! Small text helpers shared by the renderers: word wrapping and path shortening.

/// Wrap a paragraph to `width` columns, breaking at spaces only (a long word or path stays
/// whole so it can be copied). Newlines inside the paragraph are treated as spaces.
pub fn wrap(paragraph: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in paragraph.split_whitespace() {
        let len = line.chars().count();
        if len > 0 && len + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// A heading of `lead` columns, then `title` wrapped to `width` with continuation lines under
/// the title, then a `tail` of `tail_len` columns (tags, marks) on the last line when it fits,
/// else on a line of its own. Returns the title's lines and whether the tail needs its own line.
pub fn wrap_titled(title: &str, lead: usize, tail_len: usize, width: usize) -> (Vec<String>, bool) {
    let room = width.saturating_sub(lead).max(20);
    let lines = wrap(title, room);
    let last = lines.last().map_or(0, |l| l.chars().count());
    (lines, last + tail_len > room)
}

/// A file inside a venv shown from its package down (`numpy/_core/_multiarray_umath…so`).
pub fn shorten_path(path: &str) -> &str {
    ["site-packages/", "dist-packages/"]
        .iter()
        .find_map(|marker| path.rsplit_once(marker).map(|(_, rest)| rest))
        .filter(|rest| !rest.is_empty())
        .unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_spaces_and_keeps_long_words() {
        assert_eq!(wrap("aa bb cc", 5), ["aa bb", "cc"]);
        assert_eq!(
            wrap("a /very/long/path b", 4),
            ["a", "/very/long/path", "b"]
        );
    }

    #[test]
    fn titled_lines_keep_the_tail_when_it_fits() {
        assert_eq!(
            wrap_titled("a b", 2, 3, 30),
            (vec!["a b".to_string()], false)
        );
        let (lines, own_line) = wrap_titled("aaaa bbbb cccc dddd eeee", 5, 10, 25);
        assert_eq!(lines, ["aaaa bbbb cccc dddd", "eeee"]);
        assert!(!own_line);
        let (_, own_line) = wrap_titled("aaaa bbbb cccc dddd", 5, 10, 25);
        assert!(own_line);
    }

    #[test]
    fn shortens_site_packages_paths() {
        assert_eq!(
            shorten_path("/v/lib/python3.12/site-packages/numpy/_core/x.so"),
            "numpy/_core/x.so"
        );
        assert_eq!(shorten_path("/usr/lib/libz.so.1"), "/usr/lib/libz.so.1");
    }
}
