//! Where evidence comes from: pasted text, the probe run in the interpreter.
//!
//! The text path: `input` (bounded reading) → `paste` (cleaning) → `traceback` (chains) →
//! `text_evidence` (findings, wrappers seen through, environment), joined by `text`. The
//! tables they apply live in `rules/tables/` and are loaded by `messages`. `probe` runs the
//! import in the target interpreter.

pub mod clues;
pub mod cuda;
pub mod input;
pub mod loader_findings;
pub mod messages;
pub mod package;
pub mod paste;
pub mod probe;
pub mod text;
pub mod text_env;
pub mod text_evidence;
pub mod text_package;
pub mod text_paths;
pub mod traceback;
pub mod walk;
