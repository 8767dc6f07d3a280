//! `pydoctor env`: the facts the diagnosis stands on, probed. Runs the interpreter once (its
//! `--facts` probe) and reads the machine; returns the report, prints nothing.

use crate::cli::EnvArgs;
use crate::env::{self, EnvOptions, interpreter};
use crate::error::Result;
use crate::outcome::Command;
use crate::report::Report;
use crate::report::payload::{EnvPayload, Payload};
use crate::request::Request;

pub fn run(args: &EnvArgs, request: &Request) -> Result<Report> {
    let flag = args.python.python.as_deref();
    let (found, not_found) = match interpreter::discover(flag, request) {
        Ok(found) => (Some(found), None),
        // An explicit --python that does not exist is a usage error; finding none is a fact.
        Err(e) if flag.is_some() => return Err(e),
        Err(e) => (None, Some(e.to_string())),
    };
    let probed = env::probe(found.as_ref(), request, &EnvOptions::default());
    let mut report = Report::new(Command::Env, probed.environment);
    report.findings = probed.findings;
    report.extra = Payload::Env(EnvPayload {
        interpreter: probed.interpreter,
        interpreter_facts: probed.facts.map(Box::new),
        python_not_found: not_found,
    });
    report.settle_status();
    Ok(report)
}
