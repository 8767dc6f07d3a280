//! The ld.so.cache parser on hostile bytes, then lookups through every branch (plain names,
//! hwcaps subdirectories, names taken from the input itself).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pydoctor::loader::cache::{FLAGS_AARCH64, FLAGS_X86_64, LdCache};

fuzz_target!(|data: &[u8]| {
    let Some(cache) = LdCache::parse(data) else {
        return;
    };
    let hwcaps = ["x86-64-v4".to_string(), "x86-64-v3".to_string(), "x86-64-v2".to_string()];
    let _ = cache.len();
    let _ = cache.is_empty();
    for name in ["libc.so.6", "libstdc++.so.6", "libz.so.1", ""] {
        let _ = cache.lookup(name, FLAGS_X86_64, &hwcaps);
        let _ = cache.lookup(name, FLAGS_AARCH64, &[]);
    }
    // Names the input itself carries (NUL-separated runs), so found entries are exercised.
    for chunk in data.split(|b| *b == 0).take(64) {
        if let Ok(name) = std::str::from_utf8(chunk) {
            let _ = cache.lookup(name, FLAGS_X86_64, &hwcaps);
        }
    }
});
