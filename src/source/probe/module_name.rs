//! The module name, refused before anything runs unless it is dotted identifiers: it is passed
//! to the probe as an argument, and shown back in the report.

use crate::error::{Error, Result};

/// Longest module name accepted (far beyond any real one; keeps argv sane).
pub const MAX_MODULE_NAME: usize = 200;

/// A module name must be dotted identifiers: each part `[A-Za-z_][A-Za-z0-9_]*`.
/// Anything else is refused before anything runs.
pub fn validate_module_name(name: &str) -> Result<()> {
    let shown: String = name.chars().take(60).collect();
    let refuse = |why: &str| {
        Err(Error::Usage(format!(
            "invalid module name {shown:?}{}: {why}",
            if name.chars().count() > 60 { "…" } else { "" }
        )))
    };
    if name.is_empty() {
        return refuse("empty");
    }
    if name.len() > MAX_MODULE_NAME {
        return refuse(&format!("longer than {MAX_MODULE_NAME} characters"));
    }
    for part in name.split('.') {
        let mut chars = part.chars();
        match chars.next() {
            None => return refuse("empty part between dots"),
            Some(c) if !(c == '_' || c.is_ascii_alphabetic()) => {
                return refuse("each part must start with a letter or '_'");
            }
            Some(_) => {}
        }
        if !chars.all(|c| c == '_' || c.is_ascii_alphanumeric()) {
            return refuse("only letters, digits, '_' and '.' are allowed");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_identifiers_are_accepted() {
        for ok in ["numpy", "numpy._core.multiarray", "_x", "a1.b_2", "X"] {
            assert!(validate_module_name(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn anything_else_is_refused() {
        let long = "a".repeat(10_000);
        for bad in [
            "",
            "os; import x",
            "a..b",
            "1abc",
            "../x",
            ".a",
            "a.",
            "a b",
            "é",
            "a-b",
            &long,
        ] {
            assert!(
                matches!(validate_module_name(bad), Err(Error::Usage(_))),
                "{bad:?}"
            );
        }
    }
}
