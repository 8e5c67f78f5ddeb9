//! `opsdeck epicor info [ID]`: ask every Epicor environment (or one) now, all at once, and
//! print what each runs and how it is, with the comparison between them.

use std::sync::Arc;

use clap::Subcommand;
use opsdeck_core::config::{Check, CheckSpec};
use opsdeck_core::epicor::{self, drift, EnvironmentInfo, PartState};
use opsdeck_core::secret::Keychain;
use opsdeck_core::status::Status;
use serde::Serialize;

use super::{config_path, exit, load_config, out, Cli, Format};

#[derive(Debug, Subcommand)]
pub enum EpicorAction {
    /// Version, patch level, health, companies, installed solutions and SQL Server of every
    /// environment (or one); exits with the worst status (0 up, 1 degraded, 2 down, 3 unknown)
    Info {
        /// An `[[epicor]]` id; default: all of them
        id: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

#[derive(Serialize)]
struct Report<'a> {
    environments: &'a [EnvironmentInfo],
    comparison: drift::Comparison,
}

pub async fn run(cli: &Cli, action: &EpicorAction) -> i32 {
    let EpicorAction::Info { id, format } = action;
    let (path, _) = config_path(cli);
    if !path.exists() {
        eprintln!(
            "no config file at {}: pass --config PATH or set OPSDECK_CONFIG",
            path.display()
        );
        return exit::CONFIG;
    }
    let config = match load_config(&path) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let checks: Vec<&Check> = config
        .check
        .iter()
        .filter(|c| matches!(c.spec, CheckSpec::Epicor(_)))
        .filter(|c| id.as_deref().is_none_or(|i| i == c.id()))
        .collect();
    if checks.is_empty() {
        match id {
            Some(id) => {
                let known: Vec<&str> = config.epicor.iter().map(|e| e.common.id.as_str()).collect();
                eprintln!(
                    "no Epicor environment has the id `{id}`{}",
                    if known.is_empty() {
                        String::new()
                    } else {
                        format!("; configured: {}", known.join(", "))
                    }
                );
                return exit::USAGE;
            }
            None => {
                eprintln!(
                    "{} configures no Epicor environment: add an `[[epicor]]` table (see docs/config-reference.md)",
                    path.display()
                );
                return exit::CONFIG;
            }
        }
    }
    let infos = epicor::inspect_once(&checks, Arc::new(Keychain)).await;
    let worst = infos.iter().map(|i| i.status).max().unwrap_or(Status::Up);
    match format {
        Format::Json => {
            let report = Report {
                environments: &infos,
                comparison: drift::compare(&infos, &[]),
            };
            out(&(serde_json::to_string_pretty(&report).unwrap_or_default() + "\n"));
        }
        Format::Table => out(&table(&infos)),
    }
    worst.exit_code()
}

fn table(infos: &[EnvironmentInfo]) -> String {
    let mut s = String::new();
    for info in infos {
        s.push_str(&format!(
            "{}  {}  {}\n  {}\n",
            info.id,
            info.name,
            info.status.as_str().to_uppercase(),
            info.message
        ));
        let line = |s: &mut String, label: &str, text: String| {
            if !text.is_empty() {
                s.push_str(&format!("  {label:<11}{text}\n"));
            }
        };
        let mut release = Vec::new();
        if let Some(v) = &info.version {
            release.push(format!("version {v}"));
        }
        if let Some(p) = &info.patch_level {
            release.push(format!("patch {p}"));
        }
        if let Some(p) = &info.framework_patch {
            release.push(format!("framework {p}"));
        }
        line(&mut s, "release", release.join(", "));
        let health: Vec<String> = info
            .health
            .iter()
            .map(|h| {
                format!(
                    "{} {}{}",
                    h.name,
                    if h.ok { "ok" } else { "FAILED" },
                    h.detail
                        .as_deref()
                        .map(|d| format!(" ({d})"))
                        .unwrap_or_default()
                )
            })
            .collect();
        line(&mut s, "health", health.join(", "));
        if info
            .part("companies")
            .is_some_and(|p| p.state == PartState::Ok)
        {
            let list: Vec<String> = info
                .companies
                .iter()
                .map(|c| format!("{} ({})", c.id, c.name))
                .collect();
            line(&mut s, "companies", list.join(", "));
        }
        if info
            .part("solutions")
            .is_some_and(|p| p.state == PartState::Ok)
        {
            let list: Vec<String> = info
                .solutions
                .iter()
                .map(|x| match x.build_iteration {
                    Some(b) => format!("{} build {b}", x.solution_id),
                    None => x.solution_id.clone(),
                })
                .collect();
            line(
                &mut s,
                "solutions",
                format!("{}: {}", list.len(), list.join(", ")),
            );
        }
        if let Some(sql) = &info.sql {
            let db = &sql.database;
            let mut facts = vec![format!(
                "{} ({}, {})",
                sql.product_label(),
                sql.product_version,
                sql.edition
            )];
            facts.push(format!(
                "{} {} {}{}",
                db.name,
                db.state,
                db.recovery_model,
                db.compatibility_level
                    .map(|c| format!(" compatibility {c}"))
                    .unwrap_or_default()
            ));
            if let Some(b) = &db.last_full_backup {
                facts.push(format!("last full backup {}", b.finished));
            }
            if let Some(b) = &db.last_log_backup {
                facts.push(format!("last log backup {}", b.finished));
            }
            line(&mut s, "sql", facts.join(" · "));
        }
        for p in &info.parts {
            if p.state == PartState::NotAvailable {
                line(&mut s, &p.part, "not available on this version".into());
            }
        }
        for w in &info.warnings {
            line(&mut s, "note", w.clone());
        }
        s.push('\n');
    }
    s
}
