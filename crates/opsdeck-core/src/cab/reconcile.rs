//! Recorded installs against what the Epicor environments themselves list: a CAB recorded as
//! installed in Live that Epicor Live does not list, or installed in Test without a record,
//! is flagged, so the team's picture and the systems' agree or the difference is seen.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{CabCard, EnvironmentRef};
use crate::epicor::{drift, EnvironmentInfo, InstalledSolution, PartState};

/// One Epicor environment's view of one CAB.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Sighting {
    /// The `[[environment]]` (the column of the CAB matrix).
    pub environment: String,
    /// The `[[epicor]]` id and name.
    pub epicor: String,
    pub epicor_name: String,
    /// Whether the environment's list of installed solutions is known (its last check could
    /// read it).
    pub known: bool,
    /// The installed solution that came from this CAB, if Epicor lists one.
    pub solution: Option<SolutionSeen>,
    /// Where the record and Epicor disagree, in words.
    pub difference: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SolutionSeen {
    pub solution_id: String,
    pub file_name: String,
    #[ts(type = "number | null")]
    pub build_iteration: Option<i64>,
    pub changed_by: String,
    pub changed_on: Option<String>,
}

impl From<&InstalledSolution> for SolutionSeen {
    fn from(s: &InstalledSolution) -> Self {
        SolutionSeen {
            solution_id: s.solution_id.clone(),
            file_name: s.file_name.clone(),
            build_iteration: s.build_iteration,
            changed_by: s.changed_by.clone(),
            changed_on: s.changed_on.clone(),
        }
    }
}

/// The sightings of `card` in every Epicor environment that belongs to one of the board's
/// environments.
pub fn sightings(
    card: &CabCard,
    environments: &[EnvironmentRef],
    infos: &[EnvironmentInfo],
) -> Vec<Sighting> {
    let names = [card.name.clone()];
    let mut out = Vec::new();
    for (column, env) in environments.iter().enumerate() {
        for info in infos
            .iter()
            .filter(|i| i.environment.as_deref() == Some(env.id.as_str()))
        {
            let known = info
                .part("solutions")
                .is_some_and(|p| p.state == PartState::Ok);
            let solution = info
                .solutions
                .iter()
                .filter(|s| drift::cab_of(s, &names).is_some())
                .max_by_key(|s| s.build_iteration.unwrap_or(0));
            let recorded = card.installed.get(column).and_then(Option::as_ref);
            let difference = match (known, recorded, solution) {
                (true, Some(r), None) => Some(format!(
                    "recorded as installed in {} (version {}, by {}), but {} lists no solution from {}",
                    env.name, r.version, r.by, info.name, card.name
                )),
                (true, None, Some(s)) => Some(format!(
                    "{} has {} installed ({}), but no install in {} is recorded",
                    info.name,
                    s.solution_id,
                    describe(s),
                    env.name
                )),
                _ => None,
            };
            out.push(Sighting {
                environment: env.id.clone(),
                epicor: info.id.clone(),
                epicor_name: info.name.clone(),
                known,
                solution: solution.map(SolutionSeen::from),
                difference,
            });
        }
    }
    out
}

fn describe(s: &InstalledSolution) -> String {
    let mut parts = Vec::new();
    if let Some(b) = s.build_iteration {
        parts.push(format!("build {b}"));
    }
    if !s.changed_by.is_empty() {
        parts.push(format!("by {}", s.changed_by));
    }
    if let Some(on) = &s.changed_on {
        parts.push(format!("on {}", on.get(..10).unwrap_or(on)));
    }
    if parts.is_empty() {
        "no details".into()
    } else {
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cab::{Placement, Stage, VersionState};
    use crate::epicor::PartReport;

    fn card(installed: Vec<Option<Placement>>) -> CabCard {
        let newest = VersionState {
            version: 3,
            commit: "c3".into(),
            author: "ben".into(),
            date: "2026-12-01T10:00:00Z".into(),
            message: "m".into(),
            uploaded_through: None,
            yours: false,
            sha256: None,
            approvals: Vec::new(),
            rejections: Vec::new(),
            installs: Vec::new(),
            promoted: None,
            pull_request: None,
            promotable: false,
            waiting_for: None,
        };
        CabCard {
            name: "GHA Orders.cab".into(),
            path: "cabs/GHA Orders.cab".into(),
            size: 1,
            sha256: String::new(),
            versions: 3,
            stage: Stage::Installed,
            newest,
            installed,
            promoted: None,
            epicor: Vec::new(),
        }
    }

    fn placement(env: &str) -> Placement {
        Placement {
            target: env.into(),
            version: 2,
            commit: "c2".into(),
            by: "Ben Developer".into(),
            at: "2026-12-01T10:00:00Z".into(),
            current: false,
        }
    }

    fn epicor(
        id: &str,
        env: &str,
        solutions: Vec<InstalledSolution>,
        known: bool,
    ) -> EnvironmentInfo {
        EnvironmentInfo {
            id: id.into(),
            name: format!("Epicor {env}"),
            environment: Some(env.into()),
            solutions,
            parts: vec![PartReport {
                part: "solutions".into(),
                state: if known {
                    PartState::Ok
                } else {
                    PartState::NotAvailable
                },
                message: None,
            }],
            ..EnvironmentInfo::default()
        }
    }

    fn orders(build: i64) -> InstalledSolution {
        InstalledSolution {
            solution_id: "GHA_Orders".into(),
            file_name: "GHA Orders.cab".into(),
            build_iteration: Some(build),
            changed_by: "ben".into(),
            changed_on: Some("2026-12-01T10:00:00".into()),
            ..InstalledSolution::default()
        }
    }

    #[test]
    fn records_and_epicor_are_compared_both_ways() {
        let envs = vec![
            EnvironmentRef {
                id: "test".into(),
                name: "Test".into(),
            },
            EnvironmentRef {
                id: "live".into(),
                name: "Live".into(),
            },
            EnvironmentRef {
                id: "dev".into(),
                name: "Dev".into(),
            },
        ];
        // Recorded in Test and Live; Epicor Test has it, Live does not; Dev has it unrecorded.
        let card = card(vec![Some(placement("test")), Some(placement("live")), None]);
        let infos = vec![
            epicor("erp-test", "test", vec![orders(2)], true),
            epicor("erp-live", "live", Vec::new(), true),
            epicor("erp-dev", "dev", vec![orders(3)], true),
        ];
        let s = sightings(&card, &envs, &infos);
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].difference, None);
        assert_eq!(
            s[0].solution.as_ref().and_then(|x| x.build_iteration),
            Some(2)
        );
        assert_eq!(
            s[1].difference.as_deref(),
            Some("recorded as installed in Live (version 2, by Ben Developer), but Epicor live lists no solution from GHA Orders.cab")
        );
        assert_eq!(
            s[2].difference.as_deref(),
            Some("Epicor dev has GHA_Orders installed (build 3, by ben, on 2026-12-01), but no install in Dev is recorded")
        );
        // A list Epicor cannot give flags nothing.
        let infos = vec![epicor("erp-live", "live", Vec::new(), false)];
        let s = sightings(&card, &envs, &infos);
        assert_eq!(s.len(), 1);
        assert!(!s[0].known && s[0].difference.is_none());
    }
}
