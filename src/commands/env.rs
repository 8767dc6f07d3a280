//! `pydoctor env`: the facts the diagnosis stands on, probed. Runs the interpreter once (its
//! `--facts` probe) and reads the machine; returns the report, prints nothing.

use serde_json::{Value, json};

use crate::cli::EnvArgs;
use crate::env::{self, EnvOptions};
use crate::error::Result;
use crate::outcome::{Command, Report};
use crate::request::Request;

pub fn run(args: &EnvArgs, request: &Request) -> Result<Report> {
    let explicit = args.python.python.is_some() || args.python.kernel.is_some();
    let (target, not_found) = match super::target::choose(&args.python, request) {
        Ok(target) => (Some(target), None),
        // An explicit --python or --kernel that is not there is a usage error; finding no
        // python at all is a fact.
        Err(e) if explicit => return Err(e),
        Err(e) => (None, Some(e.to_string())),
    };
    let found = target.as_ref().map(|t| &t.interpreter);
    let request = target.as_ref().map_or(request, |t| &t.request);
    let mut probed = env::probe(found, request, &EnvOptions::default());
    probed.environment.kernel = target.as_ref().and_then(|t| t.kernel_facts(&[]));
    let mut report = Report::new(Command::Env, probed.environment);
    report.findings = probed.findings;
    if let Some(interp) = &probed.interpreter {
        report.extra.insert(
            "interpreter".into(),
            serde_json::to_value(interp).unwrap_or(Value::Null),
        );
    }
    if let Some(facts) = &probed.facts {
        report.extra.insert(
            "interpreter_facts".into(),
            serde_json::to_value(facts).unwrap_or(Value::Null),
        );
    }
    if let Some(message) = not_found {
        report
            .extra
            .insert("python_not_found".into(), json!(message));
    }
    report.settle_status();
    Ok(report)
}
