//! pydoctor: a doctor for Python import failures caused by native code.
//!
//! Data flows one way: `source` (the import run, pasted text, files) → `evidence` →
//! `rules` → `report`. Only `report` prints; everything else returns data.

pub mod catalog;
pub mod cli;
pub mod commands;
pub mod elf;
pub mod env;
pub mod error;
pub mod evidence;
pub mod fix;
pub mod fsio;
pub mod loader;
pub mod outcome;
pub mod process;
pub mod report;
pub mod request;
pub mod rules;
pub mod scan;
pub mod source;
pub mod version;
