//! `pydoctor env`: the facts the diagnosis stands on, probed. Runs the interpreter once (its
//! `--facts` probe) and reads the machine; returns the report, prints nothing.

use serde_json::{Value, json};

use crate::cli::EnvArgs;
use crate::env::{self, EnvOptions, interpreter};
use crate::error::Result;
use crate::outcome::{Command, Report};
use crate::request::Request;

pub fn run(args: &EnvArgs, request: &Request) -> Result<Report> {
    let flag = args.python.python.as_deref();
    let (found, not_found) = match interpreter::discover(flag, &request.env_settings()) {
        Ok(found) => (Some(found), None),
        // An explicit --python that does not exist is a usage error; finding none is a fact.
        Err(e) if flag.is_some() => return Err(e),
        Err(e) => (None, Some(e.to_string())),
    };
    let probed = env::probe(found.as_ref(), request, &EnvOptions::default());
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
