//! `[cab]`: the Bitbucket repository the CAB files live in, who approves and publishes them,
//! and where approved CABs are promoted to ("GHA Mods - New CABs").

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use toml::de::DeTable;

use super::locate::{self, Seg};
use super::SecretRef;

/// Which Bitbucket the repository is on.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum CabProvider {
    /// bitbucket.org (REST 2.0); `url` is the API root, `https://api.bitbucket.org/2.0`.
    BitbucketCloud,
    /// Bitbucket Data Center (REST 1.0); `url` is the server, `https://bitbucket.example.com`.
    BitbucketDc,
}

/// How a CAB version is approved.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum CabFlow {
    /// Approvals recorded in Bitbucket against the CAB's commit.
    #[default]
    Direct,
    /// Approvals are pull-request approvals; merging into the release branch promotes.
    PullRequest,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CabSettings {
    pub provider: CabProvider,
    /// API base (Cloud: `https://api.bitbucket.org/2.0`) or server (Data Center).
    pub url: String,
    /// Cloud workspace, or Data Center project key.
    pub workspace: String,
    pub repository: String,
    /// Branch the CABs are read from and committed to.
    #[serde(default = "default_branch")]
    pub branch: String,
    /// Folder of the CAB files in the repository (`cabs/`); empty for the root.
    #[serde(default)]
    pub path: String,
    /// Cloud: the Atlassian account e-mail of an API token; Data Center: a user name. Without
    /// it, `token` is sent as a Bearer token (Cloud access tokens, Data Center HTTP tokens).
    pub username: Option<String>,
    pub token: SecretRef,
    /// Who may approve (Bitbucket e-mails or user names).
    #[serde(default)]
    pub approvers: Vec<String>,
    /// Who may upload and promote; empty: anyone with write access to the repository.
    #[serde(default)]
    pub publishers: Vec<String>,
    /// The Bitbucket account (e-mail, Data Center user name or Cloud account ID) of a team
    /// server: its records name the opsdeck token a person acted through, and only its
    /// records are believed when they do.
    pub server_account: Option<String>,
    #[serde(default = "default_approvals")]
    pub required_approvals: u32,
    #[serde(default)]
    pub flow: CabFlow,
    /// Where approved CABs go.
    pub destination: Option<CabDestination>,
}

fn default_branch() -> String {
    "main".into()
}

fn default_approvals() -> u32 {
    1
}

/// `[cab.destination]`: "GHA Mods - New CABs".
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum CabDestination {
    /// A folder, local or UNC (`\\fileserver\GHA Mods\New CABs`).
    Folder { path: std::path::PathBuf },
    /// A protected branch, of this repository or of `repository`.
    BitbucketBranch {
        branch: String,
        repository: Option<String>,
        #[serde(default)]
        path: String,
    },
}

impl<'a> super::Loader<'a> {
    pub(super) fn validate_cab(&mut self, cab: &CabSettings, root: &DeTable<'a>) {
        let at = |k: &'static str| locate::span(root, &[Seg::Key("cab"), Seg::Key(k)]);
        self.base_url_at(at("url"), Some("cab.url".into()), &cab.url);
        for (key, value) in [
            ("workspace", &cab.workspace),
            ("repository", &cab.repository),
            ("branch", &cab.branch),
        ] {
            if value.trim().is_empty() {
                self.problem(
                    at(key),
                    Some(format!("cab.{key}")),
                    "must not be empty".into(),
                );
            }
        }
        if cab.required_approvals == 0 {
            self.problem(
                at("required_approvals"),
                Some("cab.required_approvals".into()),
                "must be at least 1: a CAB is promoted only after an approval".into(),
            );
        }
        if cab.approvers.is_empty() {
            self.problem(
                at("approvers"),
                Some("cab.approvers".into()),
                "name at least one approver (a Bitbucket e-mail or user name)".into(),
            );
        } else if (cab.approvers.len() as u32) < cab.required_approvals {
            self.problem(
                at("required_approvals"),
                Some("cab.required_approvals".into()),
                format!(
                    "{} approvals are required but only {} approvers are named",
                    cab.required_approvals,
                    cab.approvers.len()
                ),
            );
        }
        if cab.flow == CabFlow::PullRequest {
            // The pull requests go into a release branch of this repository.
            let same_repo_branch = matches!(
                &cab.destination,
                Some(CabDestination::BitbucketBranch { repository, .. })
                    if repository.as_deref().is_none_or(|r| r == cab.repository)
            );
            if !same_repo_branch {
                self.problem(
                    at("flow"),
                    Some("cab.flow".into()),
                    "the pull-request flow merges into a release branch of this repository: set `[cab.destination]` to `type = \"bitbucket-branch\"` with that `branch` (and no other `repository`)".into(),
                );
            }
        }
        if let Some(CabDestination::BitbucketBranch { branch, .. }) = &cab.destination {
            if branch.trim().is_empty() {
                self.problem(
                    locate::span(
                        root,
                        &[Seg::Key("cab"), Seg::Key("destination"), Seg::Key("branch")],
                    ),
                    Some("cab.destination.branch".into()),
                    "must name the protected branch".into(),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    const CAB: &str = "[cab]\nprovider = \"bitbucket-cloud\"\nurl = \"https://api.bitbucket.org/2.0\"\n\
                       workspace = \"gha\"\nrepository = \"epicor-cabs\"\ntoken = { secret = \"bitbucket\" }\n";

    fn problems(extra: &str) -> String {
        match Config::parse(&format!("{CAB}{extra}"), "opsdeck.toml") {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn approvals_must_be_possible() {
        assert_eq!(problems("approvers = [\"a@example.com\"]\n"), "");
        assert!(problems("").contains("name at least one approver"));
        assert!(
            problems("approvers = [\"a@example.com\"]\nrequired_approvals = 0\n")
                .contains("must be at least 1")
        );
        assert!(
            problems("approvers = [\"a@example.com\"]\nrequired_approvals = 2\n")
                .contains("2 approvals are required but only 1 approvers are named")
        );
    }

    #[test]
    fn the_pull_request_flow_needs_a_release_branch_of_the_repository() {
        let flow = "approvers = [\"a@example.com\"]\nflow = \"pull-request\"\n";
        let p = problems(flow);
        assert!(
            p.contains("cab.flow") && p.contains("release branch"),
            "{p}"
        );
        let folder = problems(&format!(
            "{flow}[cab.destination]\ntype = \"folder\"\npath = \"out\"\n"
        ));
        assert!(folder.contains("release branch"), "{folder}");
        let other = problems(&format!(
            "{flow}[cab.destination]\ntype = \"bitbucket-branch\"\nbranch = \"release\"\nrepository = \"mods\"\n"
        ));
        assert!(other.contains("release branch"), "{other}");
        let ok = problems(&format!(
            "{flow}[cab.destination]\ntype = \"bitbucket-branch\"\nbranch = \"release\"\n"
        ));
        assert_eq!(ok, "");
    }
}
