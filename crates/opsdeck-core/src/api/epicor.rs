//! The Epicor environments through the command surface: every environment as its last check
//! left it, side by side, with installed solutions linked to the CABs of the release workflow.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{Api, ApiError};
use crate::access::Caller;
use crate::config::CheckSpec;
use crate::epicor::{self, drift, EnvironmentInfo};
use crate::status::Status;

/// The Environments page.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct EpicorPage {
    /// In the order of the config file.
    pub environments: Vec<EnvironmentInfo>,
    pub comparison: drift::Comparison,
    /// Whether the CAB workflow is configured (solutions link to it).
    pub cab_workflow: bool,
    /// Why solutions could not be linked to CABs, when they could not.
    pub cab_problem: Option<String>,
}

/// How long the page waits for the CAB catalogue before showing solutions unlinked.
const CAB_WAIT: Duration = Duration::from_secs(4);

/// How long the CAB names are reused: CABs are added a few times a week, and each read of the
/// catalogue costs Bitbucket requests (its own rate limit) and seconds.
const CAB_NAMES_FOR: Duration = Duration::from_secs(5 * 60);

impl Api {
    pub(super) async fn epicor_page(&self, caller: &Caller) -> Result<EpicorPage, ApiError> {
        let config = self.engine.config();
        let environments: Vec<EnvironmentInfo> = config
            .epicor
            .iter()
            .map(|env| {
                let view = self.engine.view(&env.common.id);
                let known = view.as_ref().and_then(|v| epicor::from_details(&v.details));
                match (known, view) {
                    (Some(mut info), Some(view)) => {
                        // The damped status, as the overview shows it.
                        info.status = view.status;
                        info
                    }
                    (Some(info), None) => info,
                    (None, view) => EnvironmentInfo {
                        status: view.as_ref().map_or(Status::Unknown, |v| v.status),
                        message: view
                            .map(|v| v.message)
                            .filter(|m| !m.is_empty())
                            .unwrap_or_else(|| "not checked yet".into()),
                        ..EnvironmentInfo::configured(&env.common, &env.spec)
                    },
                }
            })
            .collect();
        let (cabs, cab_problem) = if config.cab.is_some() {
            match tokio::time::timeout(CAB_WAIT, self.cab_names(caller)).await {
                Ok(Ok(names)) => (names, None),
                Ok(Err(e)) => (Vec::new(), Some(e.message)),
                Err(_) => (
                    Vec::new(),
                    Some(
                        "the CAB catalogue did not load in time; solutions are shown unlinked"
                            .into(),
                    ),
                ),
            }
        } else {
            (Vec::new(), None)
        };
        Ok(EpicorPage {
            comparison: drift::compare(&environments, &cabs),
            environments,
            cab_workflow: config.cab.is_some(),
            cab_problem,
        })
    }

    /// The Epicor environments whose last check could be read, for the CAB matrix.
    pub(super) fn epicor_known(&self) -> Vec<EnvironmentInfo> {
        self.engine
            .config()
            .epicor
            .iter()
            .filter_map(|env| self.engine.view(&env.common.id))
            .filter_map(|v| epicor::from_details(&v.details))
            .collect()
    }

    async fn cab_names(&self, caller: &Caller) -> Result<Vec<String>, ApiError> {
        if let Some((at, names)) = self
            .cab_names
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            if at.elapsed() < CAB_NAMES_FOR {
                return Ok(names.clone());
            }
        }
        let board = self.releases(caller).await?.board().await?;
        let names: Vec<String> = board.cabs.into_iter().map(|c| c.name).collect();
        self.remember_cab_names(names.clone());
        Ok(names)
    }

    /// Every fresh board is also the newest list of CAB names.
    pub(super) fn remember_cab_names(&self, names: Vec<String>) {
        *self.cab_names.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((std::time::Instant::now(), names));
    }

    /// Inspect one environment (or all) now, then the page.
    pub(super) async fn epicor_refresh(
        &self,
        caller: &Caller,
        id: Option<&str>,
    ) -> Result<EpicorPage, ApiError> {
        let config = self.engine.config();
        let ids: Vec<String> = config
            .check
            .iter()
            .filter(|c| matches!(c.spec, CheckSpec::Epicor(_)))
            .filter(|c| id.is_none_or(|i| i == c.id()))
            .map(|c| c.id().to_string())
            .collect();
        if let (Some(id), true) = (id, ids.is_empty()) {
            return Err(ApiError::new(
                "not_found",
                format!("no Epicor environment has the id `{id}`"),
            ));
        }
        // All at once: the slowest environment sets the pace.
        let runs = ids.iter().map(|i| self.engine.check_now(i));
        for r in futures::future::join_all(runs).await {
            r?;
        }
        self.epicor_page(caller).await
    }
}
