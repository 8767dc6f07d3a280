//! The rule database: loading rule files, matching evidence, rendering fixes.

pub mod files;
