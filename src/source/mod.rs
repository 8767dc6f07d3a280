//! Where evidence comes from: pasted text, the probe run in the interpreter.
pub mod probe;
