//! The ELF reader and the resolver on hostile bytes: the summary parser, the header check,
//! and a whole resolve of the bytes written as a file next to copies of itself (so its own
//! DT_NEEDED names can point back at it: cycles, self-references).
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use pydoctor::elf::{self, Target};
use pydoctor::loader::{LoaderContext, Resolver, findings};
use pydoctor::request::Request;

struct Setup {
    dir: PathBuf,
    ctx: LoaderContext,
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("pydoctor-fuzz-elf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let request = Request {
            cwd: dir.clone(),
            ..Request::default()
        };
        // The host loader once (it runs `ld.so --help`); LD_LIBRARY_PATH is the scratch dir.
        let ctx = LoaderContext::host(&request)
            .unwrap()
            .with_ld_library_path(vec![dir.display().to_string(), String::new()]);
        Setup { dir, ctx }
    })
}

fuzz_target!(|data: &[u8]| {
    let _ = elf::check_header(data, Target::X86_64);
    let _ = elf::parse_summary(data);

    let setup = setup();
    let root = setup.dir.join("root.so");
    for name in ["root.so", "liba.so", "libb.so.1"] {
        std::fs::write(setup.dir.join(name), data).unwrap();
    }
    let resolver = Resolver::new(setup.ctx.clone());
    let object = resolver.resolve(&root);
    let found = findings(std::slice::from_ref(&object));
    // The JSON of the result must always be whole.
    let json = serde_json::to_string(&(&object, &found)).unwrap();
    assert!(serde_json::from_str::<serde_json::Value>(&json).is_ok());
});
