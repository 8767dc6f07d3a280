//! Paths as findings spell them: lexically normalised (`a/b/../c` → `a/c`, no symlinks
//! resolved), so one file reached through two `$ORIGIN` routes is one file. The `objects`
//! tree keeps the loader's spelling, which is what `$ORIGIN` sees.

use std::borrow::Cow;

/// `.` and `..` components resolved on the text alone (no symlinks followed), so
/// `/v/numpy/_core/../../numpy.libs/x.so` is `/v/numpy.libs/x.so`. `..` at the root stays
/// at the root; leading `..` of a relative path are kept.
pub fn lexically_normal(path: &str) -> Cow<'_, str> {
    // Most paths have nothing to resolve: no copy for them (a large `ldd` run normalises
    // every library of every tree).
    if is_normal(path) {
        return Cow::Borrowed(path);
    }
    // Built in place (no Vec of parts, no join): every library reached through an
    // auditwheel `$ORIGIN/../x.libs` RPATH comes this way.
    let absolute = path.starts_with('/');
    let mut out = String::with_capacity(path.len() + 1);
    // Normal components in `out`; leading `..` of a relative path are not counted.
    let mut depth = 0usize;
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if depth > 0 => {
                out.truncate(out.rfind('/').unwrap_or(0));
                depth -= 1;
            }
            ".." if absolute => {}
            _ => {
                if absolute || !out.is_empty() {
                    out.push('/');
                }
                out.push_str(part);
                if part != ".." {
                    depth += 1;
                }
            }
        }
    }
    Cow::Owned(match (absolute, out.is_empty()) {
        (true, true) => "/".to_string(),
        (false, true) => ".".to_string(),
        _ => out,
    })
}

/// No empty, `.` or `..` component (the leading `/` aside): normalising changes nothing.
fn is_normal(path: &str) -> bool {
    let bytes = path.as_bytes();
    if bytes.is_empty() {
        return false;
    }
    let rest = bytes.strip_prefix(b"/").unwrap_or(bytes);
    // Split on bytes, not chars: a memchr per component costs more than the scan itself
    // on paths this short, and every library of every tree comes through here.
    rest.is_empty()
        || rest
            .split(|b| *b == b'/')
            .all(|part| !part.is_empty() && part != b"." && part != b"..")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_and_dot_dot_are_resolved_on_the_text() {
        assert_eq!(
            lexically_normal("/v/numpy/_core/../../numpy.libs/libgfortran.so.5"),
            "/v/numpy.libs/libgfortran.so.5"
        );
        assert_eq!(lexically_normal("/a/./b//c/"), "/a/b/c");
        assert_eq!(lexically_normal("/../a"), "/a");
        assert_eq!(lexically_normal("../x/../../y"), "../../y");
        assert_eq!(lexically_normal("a/.."), ".");
        assert_eq!(lexically_normal("a/../../b"), "../b");
        assert_eq!(lexically_normal("./a/b/../c"), "a/c");
        assert_eq!(lexically_normal("/a/.."), "/");
        assert_eq!(lexically_normal("/"), "/");
        assert_eq!(lexically_normal(""), ".");
    }
}
