//! Reading what a glibc loader prints about itself: `ld.so --help` (system dirs, cache,
//! hwcaps and legacy subdirs), `--list-diagnostics` (version, `$LIB`, platform) and
//! `--version`.

use std::path::PathBuf;

use crate::loader::LoaderFacts;
use crate::loader::dst;

/// `ld.so --help`: cache path, system dirs, hwcaps subdirs, legacy subdirs.
pub fn parse_help(text: &str) -> LoaderFacts {
    let mut facts = LoaderFacts::default();
    let mut section = "";
    let mut legacy: Vec<(String, &str)> = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if !line.starts_with(' ') && trimmed.ends_with(':') {
            section = if trimmed.starts_with("Shared library search path") {
                "path"
            } else if trimmed.starts_with("Subdirectories of glibc-hwcaps") {
                "hwcaps"
            } else if trimmed.starts_with("Legacy HWCAP") {
                "legacy"
            } else {
                ""
            };
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix("--inhibit-cache") {
            if let Some(p) = rest.trim().strip_prefix("Do not use ") {
                facts.cache_path = Some(PathBuf::from(p.trim()));
            }
            continue;
        }
        match section {
            "path" => {
                if let Some(dir) = trimmed.strip_suffix(" (system search path)") {
                    facts.system_dirs.push(PathBuf::from(dir));
                } else if let Some(rest) = trimmed.strip_prefix("(libraries located via ") {
                    facts.cache_path = Some(PathBuf::from(rest.trim_end_matches(')')));
                }
            }
            "hwcaps" if trimmed.contains("searched") => {
                if let Some(name) = trimmed.split_whitespace().next() {
                    facts.hwcaps.push(name.to_string());
                }
            }
            "legacy" if trimmed.contains("searched") => {
                let name = trimmed.split_whitespace().next().unwrap_or("").to_string();
                let role = if trimmed.contains("AT_PLATFORM") {
                    "platform"
                } else {
                    "hwcap"
                };
                if role == "platform" {
                    facts.platform = Some(name.clone());
                }
                legacy.push((name, role));
            }
            _ => {}
        }
    }
    facts.legacy_subdirs = legacy_combinations(&legacy);
    facts
}

/// Pre-2.37 capability strings: every subset of [tls, hwcap names…, platform], largest
/// first, the first item most significant; duplicates dropped (matches LD_DEBUG=libs).
fn legacy_combinations(legacy: &[(String, &str)]) -> Vec<String> {
    let mut items: Vec<&str> = Vec::new();
    if let Some((n, _)) = legacy.iter().find(|(n, _)| n == "tls") {
        items.push(n);
    }
    items.extend(
        legacy
            .iter()
            .filter(|(n, r)| *r == "hwcap" && n != "tls")
            .map(|(n, _)| n.as_str()),
    );
    items.extend(
        legacy
            .iter()
            .filter(|(_, r)| *r == "platform")
            .map(|(n, _)| n.as_str()),
    );
    if items.is_empty() || items.len() > 12 {
        return Vec::new();
    }
    let n = items.len();
    let mut out: Vec<String> = Vec::new();
    for mask in (1..(1u32 << n)).rev() {
        let parts: Vec<&str> = (0..n)
            .filter(|i| mask & (1 << (n - 1 - i)) != 0)
            .map(|i| items[i])
            .collect();
        let s = parts.join("/");
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

/// `ld.so --list-diagnostics` (glibc ≥ 2.33): version, `$LIB`, platform, system dirs.
pub(super) fn apply_diagnostics(facts: &mut LoaderFacts, text: &str) {
    let mut dirs = Vec::new();
    for line in text.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim_matches('"');
        match key {
            "version.version" => facts.glibc_version = Some(value.to_string()),
            "dl_dst_lib" => facts.lib_dst = Some(value.to_string()),
            "dl_platform" if facts.platform.is_none() => facts.platform = Some(value.to_string()),
            k if k.starts_with("path.system_dirs[") => dirs.push(PathBuf::from(value)),
            _ => {}
        }
    }
    if !dirs.is_empty() {
        facts.system_dirs = dirs
            .iter()
            .map(|d| PathBuf::from(dst::normalize_dir(&d.to_string_lossy()).trim_end_matches('/')))
            .collect();
    }
}

/// "ld.so (GNU libc) stable release version 2.36." → "2.36".
pub(super) fn parse_version(text: &str) -> Option<String> {
    let line = text.lines().next()?;
    let v = line.split("version ").nth(1)?.trim_end_matches('.');
    Some(
        v.split_whitespace()
            .next()?
            .trim_end_matches('.')
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_subdirs_follow_the_loaders_order() {
        let legacy = vec![
            ("x86_64".to_string(), "platform"),
            ("tls".to_string(), "hwcap"),
            ("x86_64".to_string(), "hwcap"),
        ];
        assert_eq!(
            legacy_combinations(&legacy),
            vec![
                "tls/x86_64/x86_64",
                "tls/x86_64",
                "tls",
                "x86_64/x86_64",
                "x86_64"
            ]
        );
    }
}
