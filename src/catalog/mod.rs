//! The data of `rules/`: the files compiled into the binary (plus `--rules DIR`), the typed
//! fix tables (`tables`), the text tables (`text`) and the cause tables (`causes`).
//!
//! Everything here is data read strictly from TOML; nothing decides a diagnosis. Used by
//! `env`, `source` (the text tables, the cause tables) and `rules` (the rule files, the fix
//! tables). Uses `evidence` (cause kinds) and `error` only.

pub mod causes;
pub mod files;
mod merge;
mod regex_check;
pub mod tables;
pub mod text;
mod text_compile;

/// How the tables are used, for docs/rules.md (`pydoctor rules --markdown`).
pub const TABLES_MD: &str = r#"## Tables

Rules render from the tables in `rules/tables/`, and the evidence makers read theirs there too: a cause's
evidence (which message, soname, symbol version, signal or file shows it) and a fix's wording are data, not code.
Every table is TOML read strictly: unknown keys, bad regexes and unknown placeholders are errors naming the file,
line and field, and every regex carries examples that must match and counter-examples that must not. A
`--rules DIR` may hold a `tables/` directory with files of the same names; any other name there is an error.

| file | read by | holds | a `--rules DIR/tables/` file |
| --- | --- | --- | --- |
| `loader-messages.toml` | the text path | loader and Python messages that are evidence, each with its cause kind and captures (`library`, `required_by`, `provider`, `program`) | adds patterns, tried before the built-in ones; one with a built-in id replaces it in place |
| `messages.toml` | the text path | wrapper messages that hide the real error (numpy's "source directory"), and what to say when it is not in the text | adds or replaces entries, the same way |
| `paste.toml` | the text path | how pasted logs are cleaned: prefixes, suffixes, message ends, other tools' frame lines | adds or replaces entries, the same way |
| `causes.toml` | the loader findings, the text path, `check` | the sonames and markers of musl, symbol-version families (`GLIBCXX_` → `libstdcxx-version-too-old`, carried by `libstdc++.so.6`), the signals that are a cause (`SIGILL`), the files that mark a source checkout | not allowed: read where no rule database is at hand, so built in only |
| `nixpkgs.toml`, `distro.toml` | fix placeholders | soname → nixpkgs attribute, soname → distribution packages (below) | overrides entries by soname |
| `tools.toml` | fix notes | how to get a program a fix runs | overrides entries by name |
| `libstdcxx.toml` | `{gcc_needed}` | libstdc++ symbol version → the first GCC release with it | overrides entries by version |
| `render.toml` | the renderer | the fix offered when no rule's fix is left (`find_package`), when the nixpkgs pointer is added, and the wording of the notes the renderer adds, each with its own placeholders and a `[when]` condition | replaces the built-in table |

Adding a cause of an existing kind is a data change plus a rule file: the evidence (a pattern in
`loader-messages.toml` with examples, a wrapper in `messages.toml`, or a family or signal in `causes.toml`), then a
rule in `rules/diagnoses/` with its fixes and examples, then this file regenerated. A new cause kind also needs its
name in the kind vocabulary (`src/evidence.rs`, docs/json.md)."#;
