//! Side by side: what differs between environments (versions, patch levels, SQL Server,
//! compatibility levels, installed solutions), and which installed solution is which CAB.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{EnvironmentInfo, InstalledSolution, PartState};

#[derive(Clone, Debug, Default, Serialize, Deserialize, TS, PartialEq)]
pub struct Comparison {
    /// Environment ids, in the order of every row's `values`.
    pub columns: Vec<String>,
    pub facts: Vec<FactRow>,
    pub solutions: Vec<SolutionRow>,
}

#[derive(Clone, Debug, Serialize, Deserialize, TS, PartialEq)]
pub struct FactRow {
    pub label: String,
    /// One per column; `null` where the environment did not tell.
    pub values: Vec<Option<String>>,
    /// The known values are not all the same.
    pub drift: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, TS, PartialEq)]
pub struct SolutionRow {
    pub solution_id: String,
    /// What is installed in each column ("build 3 · GHA_Parts_v3.cab"); `null`: not installed.
    pub values: Vec<Option<String>>,
    /// Installed in some environments and not others, or in different builds.
    pub drift: bool,
    /// Environments (whose solution list is known) that lack it.
    pub missing_in: Vec<String>,
    /// The CAB of the release workflow it was installed from, when one matches.
    pub cab: Option<String>,
}

/// Compare environments; `cabs` are the CAB file names of the release workflow, to link
/// solutions to.
pub fn compare(infos: &[EnvironmentInfo], cabs: &[String]) -> Comparison {
    let columns: Vec<String> = infos.iter().map(|i| i.id.clone()).collect();
    let row = |label: &str, pick: &dyn Fn(&EnvironmentInfo) -> Option<String>| {
        let values: Vec<Option<String>> = infos.iter().map(pick).collect();
        let known: Vec<&String> = values.iter().flatten().collect();
        let drift = known.windows(2).any(|w| w[0] != w[1]);
        FactRow {
            label: label.to_string(),
            values,
            drift,
        }
    };
    let facts = vec![
        row("Epicor version", &|i| i.version.clone()),
        row("Patch level", &|i| i.patch_level.clone()),
        row("Framework patch", &|i| i.framework_patch.clone()),
        row("SQL Server", &|i| i.sql.as_ref().map(|s| s.product_label())),
        row("SQL Server version", &|i| {
            i.sql.as_ref().map(|s| s.product_version.clone())
        }),
        row("Compatibility level", &|i| {
            i.sql
                .as_ref()
                .and_then(|s| s.database.compatibility_level)
                .map(|c| c.to_string())
        }),
        row("Companies", &|i| {
            known_list(i, "companies").then(|| {
                let mut ids: Vec<&str> = i.companies.iter().map(|c| c.id.as_str()).collect();
                ids.sort_unstable();
                ids.join(", ")
            })
        }),
    ];
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    for info in infos {
        for s in &info.solutions {
            ids.entry(s.solution_id.to_ascii_lowercase())
                .or_insert_with(|| s.solution_id.clone());
        }
    }
    let solutions = ids
        .into_iter()
        .map(|(key, solution_id)| {
            let found: Vec<Option<&InstalledSolution>> = infos
                .iter()
                .map(|i| {
                    i.solutions
                        .iter()
                        .filter(|s| s.solution_id.eq_ignore_ascii_case(&key))
                        .max_by_key(|s| s.build_iteration.unwrap_or(0))
                })
                .collect();
            let values: Vec<Option<String>> = found.iter().map(|s| s.map(describe)).collect();
            let missing_in: Vec<String> = infos
                .iter()
                .zip(&found)
                .filter(|(i, s)| s.is_none() && known_list(i, "solutions"))
                .map(|(i, _)| i.id.clone())
                .collect();
            let known: Vec<&String> = infos
                .iter()
                .zip(&values)
                .filter(|(i, _)| known_list(i, "solutions"))
                .filter_map(|(_, v)| v.as_ref())
                .collect();
            let drift = !missing_in.is_empty() || known.windows(2).any(|w| w[0] != w[1]);
            let cab = found.iter().flatten().find_map(|s| cab_of(s, cabs));
            SolutionRow {
                solution_id,
                values,
                drift,
                missing_in,
                cab,
            }
        })
        .collect();
    Comparison {
        columns,
        facts,
        solutions,
    }
}

fn known_list(info: &EnvironmentInfo, part: &str) -> bool {
    info.part(part).is_some_and(|p| p.state == PartState::Ok)
}

fn describe(s: &InstalledSolution) -> String {
    let mut parts = Vec::new();
    if let Some(b) = s.build_iteration {
        parts.push(format!("build {b}"));
    }
    if !s.file_name.is_empty() {
        parts.push(file_part(&s.file_name).to_string());
    }
    if parts.is_empty() {
        "installed".into()
    } else {
        parts.join(" · ")
    }
}

/// The last path segment of a file name recorded with its folder (`C:\CABs\X.cab`).
fn file_part(name: &str) -> &str {
    name.rsplit(['\\', '/']).next().unwrap_or(name)
}

/// The CAB a solution was installed from: the same file name, else a CAB named after the
/// solution id (`GHA_Parts.cab` for solution `GHA_Parts`). Case does not matter, as on the
/// Windows file shares the CABs travel through.
pub fn cab_of(solution: &InstalledSolution, cabs: &[String]) -> Option<String> {
    let file = file_part(&solution.file_name);
    if !file.is_empty() {
        if let Some(c) = cabs
            .iter()
            .find(|c| file_part(c).eq_ignore_ascii_case(file))
        {
            return Some(c.clone());
        }
    }
    let stem = |n: &str| {
        let f = file_part(n);
        f.strip_suffix(".cab")
            .or_else(|| f.strip_suffix(".CAB"))
            .unwrap_or(f)
            .to_ascii_lowercase()
    };
    let id = solution.solution_id.to_ascii_lowercase();
    cabs.iter().find(|c| stem(c) == id).cloned()
}
