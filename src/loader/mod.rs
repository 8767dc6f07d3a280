//! The loader emulation: which file ld.so would map for each needed library, or why none.
//!
//! [`LoaderContext`] says which loader and with which inputs, built from plain data the
//! caller gathers ([`LoaderFacts`], [`Settings`]); [`Resolver`] replays its search for a
//! file's DT_NEEDED closure into [`report::ResolvedObject`]s, with typed [`ResolveError`]s.
//! It reads files (ELF through `crate::elf`, ld.so.cache) and nothing else: it runs no
//! program, reads no variable and writes nothing. What the trees mean as evidence is
//! `crate::source`'s; printing is `crate::report`'s.

pub mod cache;
pub mod context;
pub mod dst;
pub mod error;
pub mod flavor;
mod normal;
pub mod program;
pub mod report;
mod resolve;
mod search_dirs;
pub mod settings;
pub mod versions;

pub use context::{HOST_LOADER, KnownLoader, LoaderContext, LoaderFacts, Preloaded};
pub use error::ResolveError;
pub use flavor::LoaderFlavor;
pub use normal::lexically_normal;
pub use program::{Program, ProgramError};
pub use resolve::Resolver;
pub use settings::Settings;
