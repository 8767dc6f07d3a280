//! The vocabulary of a result: the command, its status, the diagnoses and their fixes. The
//! rules make diagnoses of these; `report::Report` gathers them with each command's own data.
//!
//! This module owns the JSON contract's schema version and the mapping from a status to the
//! documented exit code. It holds data only; `report/` prints it.

use serde::{Deserialize, Serialize};

use crate::evidence::CauseKind;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Command {
    Check,
    Explain,
    Ldd,
    Scan,
    Env,
    Rules,
    Fix,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Nothing wrong found.
    Ok,
    /// At least one problem diagnosed by a rule.
    Problems,
    /// A failure was seen, but no rule explains it.
    Undiagnosed,
}

impl Status {
    /// The documented exit code: 0 ok, 1 problems, 3 undiagnosed (2 is usage/I/O, see main).
    pub fn exit_code(self) -> i32 {
        match self {
            Status::Ok => 0,
            Status::Problems => 1,
            Status::Undiagnosed => 3,
        }
    }
}

/// Whether a fix was checked before it was shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verification {
    /// Re-resolved with the fix applied: every missing library is found.
    Verified,
    /// Re-resolved with the fix applied: some, not all, are found.
    Partial,
    /// Could not be checked here (e.g. the package is not in the local store).
    NotChecked,
    /// Re-resolved (or re-imported) with the fix applied and it did not help.
    Failed,
}

impl Verification {
    /// The JSON spelling (`not-checked`), for text renderers too.
    pub fn as_str(self) -> &'static str {
        match self {
            Verification::Verified => "verified",
            Verification::Partial => "partial",
            Verification::NotChecked => "not-checked",
            Verification::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fix {
    pub id: String,
    pub title: String,
    pub snippet: Option<String>,
    pub verified: Verification,
    /// How the verification was done, for the curious ("resolver", "import").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_by: Option<String>,
    /// What was checked on this machine before the fix was shown: `commands` (every program
    /// it runs is here), `paths` (every path it names exists), and the outcome's method.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checked: Vec<String>,
    /// Why this fix, or why not first, on this machine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One store copy of a missing library that a fix could use, as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreCandidate {
    pub soname: String,
    /// The lib directory that holds it.
    pub dir: String,
    pub chosen: bool,
    /// Why it was not chosen (`lacks GLIBCXX_3.4.32`), when it was passed over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passed_over: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnosis {
    pub rule: String,
    pub kind: CauseKind,
    pub library: Option<String>,
    pub required_by: Option<String>,
    pub summary: String,
    pub explanation: String,
    pub fixes: Vec<Fix>,
    /// Every library/version this diagnosis covers when it groups several findings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub libraries: Vec<String>,
    /// The store copies of its libraries that were weighed for the fixes (chosen and passed
    /// over), when the local store was looked at.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub store_candidates: Vec<StoreCandidate>,
    /// Advice about a fragile set-up (the import works today, only because of this shell):
    /// it does not make the command fail.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub advisory: bool,
}
