//! Dynamic string tokens (`$ORIGIN`, `$LIB`, `$PLATFORM`, braced or not) and the loader's
//! spelling of a search dir (docs/loader-and-nix.md, "Search path lists" and "$ORIGIN, $LIB and $PLATFORM").

/// Expand the DSTs of one path element. `None` when a known token has no value: the loader
/// then drops the element. Unknown `$FOO` is copied literally.
pub fn expand(
    element: &str,
    origin: Option<&str>,
    lib: Option<&str>,
    platform: Option<&str>,
) -> Option<String> {
    if !element.contains('$') {
        return Some(element.to_string());
    }
    let mut out = String::with_capacity(element.len() + 32);
    let mut rest = element;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        match token(after) {
            Some((name, len)) => {
                let value = match name {
                    "ORIGIN" => origin,
                    "LIB" => lib,
                    _ => platform,
                };
                out.push_str(value?);
                rest = &after[len..];
            }
            None => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Some(out)
}

/// Recognise a token right after '$': its name and how many bytes it spans.
fn token(s: &str) -> Option<(&'static str, usize)> {
    for name in ["ORIGIN", "PLATFORM", "LIB"] {
        if let Some(rest) = s.strip_prefix(name) {
            let next = rest.bytes().next();
            if !next.is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_') {
                return Some((name, name.len()));
            }
        }
        if let Some(rest) = s.strip_prefix('{').and_then(|r| r.strip_prefix(name))
            && rest.starts_with('}')
        {
            return Some((name, name.len() + 2));
        }
    }
    None
}

/// Trailing slashes trimmed, one '/' added; the empty element stays empty (the cwd).
pub fn normalize_dir(dir: &str) -> String {
    if dir.is_empty() {
        return String::new();
    }
    let trimmed = dir.trim_end_matches('/');
    format!("{trimmed}/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_lib_and_platform_expand_braced_or_not() {
        let e = |s| expand(s, Some("/o"), Some("lib64"), Some("haswell"));
        assert_eq!(e("$ORIGIN/../lib").unwrap(), "/o/../lib");
        assert_eq!(
            e("${ORIGIN}/x/$LIB/$PLATFORM").unwrap(),
            "/o/x/lib64/haswell"
        );
        assert_eq!(e("$ORIGINAL/x").unwrap(), "$ORIGINAL/x");
        assert_eq!(e("/a$FOO").unwrap(), "/a$FOO");
        assert_eq!(expand("$ORIGIN/x", None, None, None), None);
    }

    #[test]
    fn dirs_get_one_trailing_slash() {
        assert_eq!(normalize_dir("/a//"), "/a/");
        assert_eq!(normalize_dir("/"), "/");
        assert_eq!(normalize_dir(""), "");
    }
}
