//! The version string, with the git revision when built from a git checkout.

pub fn long() -> &'static str {
    match option_env!("PYDOCTOR_GIT_REV") {
        Some(rev) if !rev.is_empty() => concat_version(rev),
        _ => env!("CARGO_PKG_VERSION"),
    }
}

fn concat_version(rev: &str) -> &'static str {
    use std::sync::OnceLock;
    static LONG: OnceLock<String> = OnceLock::new();
    LONG.get_or_init(|| format!("{} ({rev})", env!("CARGO_PKG_VERSION")))
}
