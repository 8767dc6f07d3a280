//! `pydoctor rules [ID]`: the rule database as a report (the list, one rule, or the data for
//! docs/rules.md), rendered by `report::rules`.

use serde_json::Value;

use crate::cli::RulesArgs;
use crate::error::{Error, Result};
use crate::evidence::Environment;
use crate::outcome::{Command, Report};
use crate::report::rules::{RuleSummary, TablesView};
use crate::request::Request;
use crate::rules::Database;

pub fn run(args: &RulesArgs, request: &Request) -> Result<Report> {
    let db = Database::load(request)?;
    let mut report = Report::new(Command::Rules, Environment::default());
    if args.markdown {
        let rules: Vec<_> = db.rules().iter().map(|r| &r.doc).collect();
        let tables = TablesView {
            nixpkgs: db.tables.nixpkgs.values().cloned().collect(),
            distro: db.tables.distro.values().cloned().collect(),
        };
        report.extra.insert("markdown".into(), Value::Bool(true));
        report.extra.insert("rules".into(), json(&rules)?);
        report.extra.insert("tables".into(), json(&tables)?);
        return Ok(report);
    }
    match &args.id {
        Some(id) => {
            let rule = db.find(id).ok_or_else(|| {
                Error::Usage(format!("no rule `{id}`; `pydoctor rules` lists them"))
            })?;
            report.extra.insert("rule".into(), json(&rule.doc)?);
            report
                .extra
                .insert("rule_file".into(), Value::String(rule.file.clone()));
        }
        None => {
            let list: Vec<RuleSummary> = db
                .rules()
                .iter()
                .map(|r| RuleSummary {
                    id: r.doc.id.clone(),
                    name: r.doc.name.clone(),
                    kind: r.doc.kind.as_str().to_string(),
                    summary: r.doc.summary.clone(),
                    status: r.doc.status.as_str().to_string(),
                })
                .collect();
            report.extra.insert("rules".into(), json(&list)?);
        }
    }
    Ok(report)
}

fn json<T: serde::Serialize + ?Sized>(value: &T) -> Result<Value> {
    serde_json::to_value(value).map_err(|e| Error::Other(format!("rule database as JSON: {e}")))
}
