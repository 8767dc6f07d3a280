//! The rule loader on hostile TOML: the first byte picks what the text pretends to be (a rule
//! file, the nixpkgs or distro table, or one of the three message tables); the rest is its text.
//! Errors are fine; panics, hangs and errors that lose the file name are not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pydoctor::rules::Database;
use pydoctor::rules::files::{self, RuleFile};
use pydoctor::source::messages::Tables;

const TABLES: [&str; 3] = [
    "rules/tables/messages.toml",
    "rules/tables/loader-messages.toml",
    "rules/tables/paste.toml",
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest).into_owned();
    let name = match selector % 6 {
        0 | 1 => "fuzz/PD999-fuzz.toml".to_string(),
        2 => "fuzz/tables/nixpkgs.toml".to_string(),
        3 => "fuzz/tables/distro.toml".to_string(),
        k => TABLES[(usize::from(k) - 4 + usize::from(selector / 6 % 2)) % 3].to_string(),
    };
    let file = RuleFile { name: name.clone(), text };
    if name.starts_with("rules/tables/") {
        let builtin = files::builtin_under("tables");
        let pick = |n: &str| {
            if n == name {
                file.clone()
            } else {
                builtin.iter().find(|f| f.name == n).unwrap().clone()
            }
        };
        if let Err(e) = Tables::from_files(&pick(TABLES[0]), &pick(TABLES[1]), &pick(TABLES[2])) {
            assert!(e.to_string().contains(&name), "{e}");
        }
        return;
    }
    let mut all = if selector % 6 == 1 { files::builtin() } else { Vec::new() };
    all.push(file);
    if let Ok(db) = Database::from_files(&all) {
        let _ = db.check_examples();
    }
});
