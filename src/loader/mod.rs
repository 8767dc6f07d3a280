//! The loader emulation: which file ld.so would map for each needed library, or why none.
//!
//! [`LoaderContext`] says which loader and with which inputs; [`Resolver`] replays its search
//! for a file's DT_NEEDED closure into [`report::ResolvedObject`]s; [`findings`] turns those
//! into the evidence the rules read. Reading ELF files is `crate::elf`'s job; printing is
//! `crate::report`'s.

pub mod cache;
pub mod context;
pub mod dst;
mod findings;
pub mod report;
mod resolve;
pub mod versions;

pub use context::{LoaderContext, Preloaded};
pub use findings::{findings, lexically_normal};
pub use resolve::Resolver;
