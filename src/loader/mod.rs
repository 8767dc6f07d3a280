//! The loader emulation: which file ld.so would map for each needed library, or why none.

pub mod report;
