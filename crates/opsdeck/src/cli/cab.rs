//! `opsdeck cab`: the CAB release workflow from the command line. So far the catalogue: every
//! CAB in the repository with its newest version, and a CAB's versions.

use std::sync::Arc;

use clap::Subcommand;
use opsdeck_core::cab::{self, CabError};
use opsdeck_core::secret::{Keychain, SecretSource};

use super::{config_path, exit, load_config, out, short_utc, Cli, Format};

#[derive(Debug, Subcommand)]
pub enum CabAction {
    /// Every CAB under the configured path, with its newest version and SHA-256
    List {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// The versions of one CAB (by file name or path), newest first
    History {
        name: String,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

fn code(e: &CabError) -> i32 {
    match e {
        CabError::NotConfigured => exit::CONFIG,
        CabError::Credential(_) => exit::UNAVAILABLE,
        CabError::NoSuchCab(_) => exit::DATA,
        CabError::Bitbucket(_) => exit::UNAVAILABLE,
    }
}

pub async fn run(cli: &Cli, action: &CabAction) -> i32 {
    let (path, _) = config_path(cli);
    let config = match load_config(&path) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let result = async {
        let settings = config.cab.as_ref().ok_or(CabError::NotConfigured)?;
        let secrets: Arc<dyn SecretSource> = Arc::new(Keychain);
        // A one-shot command: reading the keychain on this thread blocks nothing else.
        let client = cab::client(settings, &secrets)?;
        match action {
            CabAction::List { format } => {
                let cabs = cab::catalogue(&client, settings).await?;
                Ok::<_, CabError>(match format {
                    Format::Json => format!("{}\n", serde_json::json!({ "cabs": cabs })),
                    Format::Table if cabs.is_empty() => format!(
                        "no CAB files under `{}` on branch `{}`\n",
                        settings.path, settings.branch
                    ),
                    Format::Table => {
                        let w = cabs
                            .iter()
                            .map(|c| c.name.chars().count())
                            .max()
                            .unwrap_or(4)
                            .max(4);
                        let mut text = format!(
                            "{:<w$}  {:>8}  {:>10}  {:<17}  {:<12}  AUTHOR\n",
                            "NAME", "VERSIONS", "SIZE", "DATE (UTC)", "COMMIT"
                        );
                        for c in &cabs {
                            text.push_str(&format!(
                                "{:<w$}  {:>8}  {:>10}  {:<17}  {:<12}  {}\n",
                                c.name,
                                c.versions,
                                c.size,
                                short_utc(&c.date),
                                &c.commit[..12.min(c.commit.len())],
                                c.author
                            ));
                        }
                        text
                    }
                })
            }
            CabAction::History { name, format } => {
                let versions = cab::history(&client, settings, name).await?;
                Ok(match format {
                    Format::Json => format!(
                        "{}\n",
                        serde_json::json!({ "name": name, "versions": versions })
                    ),
                    Format::Table => {
                        let mut text = format!(
                            "{:<17}  {:<12}  {:<30}  MESSAGE\n",
                            "DATE (UTC)", "COMMIT", "AUTHOR"
                        );
                        for v in &versions {
                            text.push_str(&format!(
                                "{:<17}  {:<12}  {:<30}  {}\n",
                                short_utc(&v.date),
                                &v.commit[..12.min(v.commit.len())],
                                v.author,
                                v.message.lines().next().unwrap_or_default()
                            ));
                        }
                        text
                    }
                })
            }
        }
    }
    .await;
    match result {
        Ok(text) => {
            out(&text);
            0
        }
        Err(e) => {
            eprintln!("{e}");
            code(&e)
        }
    }
}
