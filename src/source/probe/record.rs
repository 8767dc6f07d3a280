//! The probe's import record (`probe.py`) read into a [`ProbeResult`].

use serde::Deserialize;

use super::{ImportTarget, ProbeResult, SpecPart};
use crate::env::interpreter_facts::InterpreterFacts;
use crate::evidence::{ChainLink, Frame};

/// The probe's JSON record as written (`probe.py`).
#[derive(Debug, Deserialize)]
pub(super) struct Record {
    phase: String,
    #[serde(default)]
    ok: bool,
    #[serde(default)]
    chain: Vec<RecordLink>,
    original_text: Option<String>,
    facts: Option<InterpreterFacts>,
    #[serde(default)]
    loaded_objects: Vec<String>,
    #[serde(default)]
    spec: Vec<SpecPart>,
    import_seconds: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct RecordLink {
    #[serde(rename = "type")]
    exc_type: String,
    message: String,
    #[serde(default)]
    frames: Vec<Frame>,
    import_name: Option<String>,
    import_path: Option<String>,
}

impl Record {
    pub(super) fn parse(bytes: &[u8]) -> Option<Record> {
        serde_json::from_slice(bytes).ok()
    }

    /// `result` (what the run itself showed) completed by what the probe recorded.
    pub(super) fn into_result(self, mut result: ProbeResult) -> ProbeResult {
        result.completed = self.phase == "done";
        result.ok = result.completed && self.ok;
        result.import_targets = self
            .chain
            .iter()
            .enumerate()
            .filter(|(_, l)| l.import_name.is_some() || l.import_path.is_some())
            .map(|(i, l)| ImportTarget {
                link: i,
                name: l.import_name.clone(),
                path: l.import_path.clone(),
            })
            .collect();
        result.chain = self
            .chain
            .into_iter()
            .map(|l| ChainLink {
                exc_type: l.exc_type,
                message: l.message,
                frames: l.frames,
            })
            .collect();
        result.original_text = self.original_text;
        result.facts = self.facts;
        result.loaded_objects = self.loaded_objects;
        result.spec = self.spec;
        result.import_seconds = self.import_seconds;
        result
    }
}
