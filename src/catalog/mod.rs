//! The data of `rules/`: the files compiled into the binary (plus `--rules DIR`), the typed
//! fix tables (`tables`), the text tables (`text`) and the cause tables (`causes`).
//!
//! Everything here is data read strictly from TOML; nothing decides a diagnosis. Used by
//! `env`, `source` (the text tables, the cause tables) and `rules` (the rule files, the fix
//! tables). Uses `evidence` (cause kinds) and `error` only.

pub mod causes;
pub mod files;
mod merge;
pub mod tables;
pub mod text;
mod text_compile;
