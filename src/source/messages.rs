//! The text tables the text path applies, compiled by `catalog::text`: named here so that the
//! steps of `source` read them from one place.

pub use crate::catalog::text::{
    CAPTURES, IMPLIES, LoaderPattern, PasteRules, TextTables as Tables, Wrapper, placeholders,
};
