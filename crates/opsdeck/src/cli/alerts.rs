//! `opsdeck alerts`: the incident timeline, open alerts and deliveries, and the actions people
//! take on alerts (acknowledge, snooze, note, test a channel). It works on the data directory
//! directly, beside a running `opsdeck serve` (which picks the changes up within seconds).

use std::sync::Arc;
use std::time::Duration;

use clap::Subcommand;
use opsdeck_core::alerting::{self, channel::Couriers, incidents, outbox, timeline};
use opsdeck_core::secret::Keychain;
use opsdeck_core::store::Store;

use super::{config_path, data_dir, exit, load_config, out, short_utc, Cli, Format};

#[derive(Debug, clap::Args)]
pub struct AlertsArgs {
    #[command(subcommand)]
    pub action: Option<AlertAction>,
    /// Only this check or result (`CHECK` includes all its `CHECK/THING` results)
    #[arg(long, value_name = "ID")]
    pub check: Option<String>,
    /// Most entries shown
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum AlertAction {
    /// Open alerts, snoozes and the latest deliveries
    Open {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Stop reminders of a failing result until it recovers
    Ack {
        id: String,
        #[arg(long)]
        note: Option<String>,
    },
    /// Hold back the alerts of a result (or of every result of a check) for a while
    Snooze {
        id: String,
        /// How long: 1h, 4h, 8h, 30m …
        #[arg(long = "for", value_parser = humantime::parse_duration)]
        length: Duration,
        #[arg(long)]
        note: Option<String>,
    },
    /// End a snooze
    Unsnooze { id: String },
    /// Add a note to a result's timeline
    Note { id: String, text: String },
    /// Send a test notification through a channel now
    Test { channel: String },
}

/// Who did it: the account running the command.
fn actor() -> String {
    let user = std::env::var("USERNAME")
        .or_else(|_| std::env::var("USER"))
        .unwrap_or_default();
    if user.is_empty() {
        "cli".to_string()
    } else {
        format!("{user} (cli)")
    }
}

async fn store(cli: &Cli) -> Result<Store, i32> {
    let path = data_dir(cli).join("opsdeck.sqlite");
    if !path.exists() {
        eprintln!(
            "no opsdeck database at {}: alerts exist once `opsdeck serve` (or the desktop app) has run with this data directory",
            path.display()
        );
        return Err(exit::UNAVAILABLE);
    }
    Store::open(&path).await.map_err(|e| {
        eprintln!("{e}");
        exit::IO
    })
}

pub async fn run(cli: &Cli, args: &AlertsArgs) -> i32 {
    if let Some(AlertAction::Test { channel }) = &args.action {
        return test(cli, channel).await;
    }
    let store = match store(cli).await {
        Ok(s) => s,
        Err(code) => return code,
    };
    let pool = store.pool();
    let by = actor();
    let done = match &args.action {
        None => return show_timeline(pool, args).await,
        Some(AlertAction::Open { format }) => return show_open(pool, *format).await,
        Some(AlertAction::Test { .. }) => unreachable!("handled above"),
        Some(AlertAction::Ack { id, note }) => {
            alerting::acknowledge(pool, id, &by, note.as_deref())
                .await
                .map(|()| format!("acknowledged `{id}`: no reminders until it recovers"))
        }
        Some(AlertAction::Snooze { id, length, note }) => {
            alerting::snooze(pool, id, Some(*length), &by, note.as_deref())
                .await
                .map(|()| {
                    format!(
                        "alerts of `{id}` snoozed for {}",
                        humantime::format_duration(*length)
                    )
                })
        }
        Some(AlertAction::Unsnooze { id }) => alerting::snooze(pool, id, None, &by, None)
            .await
            .map(|()| format!("alerts of `{id}` are no longer snoozed")),
        Some(AlertAction::Note { id, text }) => alerting::note(pool, id, &by, text)
            .await
            .map(|()| format!("note added to `{id}`")),
    };
    store.close().await;
    match done {
        Ok(said) => {
            eprintln!("{said}");
            0
        }
        Err(e) => {
            eprintln!("{e}");
            match e {
                alerting::AlertError::Store(_) => exit::IO,
                _ => exit::DATA,
            }
        }
    }
}

async fn show_timeline(pool: &sqlx::SqlitePool, args: &AlertsArgs) -> i32 {
    let entries = match timeline::read(
        pool,
        args.check.as_deref(),
        None,
        args.limit.clamp(1, 10_000),
    )
    .await
    {
        Ok(e) => e,
        Err(e) => {
            eprintln!("reading the timeline failed: {e}");
            return exit::IO;
        }
    };
    match args.format {
        Format::Json => out(&format!("{}\n", serde_json::json!({ "entries": entries }))),
        Format::Table if entries.is_empty() => out("nothing on the timeline yet\n"),
        Format::Table => {
            let width = entries
                .iter()
                .map(|e| e.series.as_deref().unwrap_or("-").chars().count())
                .max()
                .unwrap_or(2)
                .max(2);
            let mut text = format!(
                "{:<17}  {:<15}  {:<width$}  MESSAGE\n",
                "WHEN (UTC)", "KIND", "ID"
            );
            for e in &entries {
                let by = e
                    .actor
                    .as_ref()
                    .map(|a| format!(" [{a}]"))
                    .unwrap_or_default();
                text.push_str(&format!(
                    "{:<17}  {:<15}  {:<width$}  {}{by}\n",
                    short_utc(&e.at),
                    e.kind.as_str(),
                    e.series.as_deref().unwrap_or("-"),
                    e.message.replace(['\n', '\r'], " "),
                ));
            }
            out(&text);
        }
    }
    0
}

async fn show_open(pool: &sqlx::SqlitePool, format: Format) -> i32 {
    let read = async {
        let open = incidents::list(pool).await?;
        let mut conn = pool.acquire().await?;
        let snoozes = incidents::snoozes(&mut conn, opsdeck_core::time_fmt::now_ms()).await?;
        let deliveries = outbox::log(pool, 20).await?;
        Ok::<_, sqlx::Error>((open, snoozes, deliveries))
    };
    let (open, snoozes, deliveries) = match read.await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("reading the alerts failed: {e}");
            return exit::IO;
        }
    };
    if format == Format::Json {
        out(&format!(
            "{}\n",
            serde_json::json!({ "open": open, "snoozes": snoozes, "deliveries": deliveries })
        ));
        return 0;
    }
    let mut text = String::new();
    if open.is_empty() {
        text.push_str("no open alerts\n");
    } else {
        text.push_str("OPEN ALERTS\n");
        for i in &open {
            let state = match (&i.suppressed_by, &i.acked_by) {
                (Some(why), _) => format!("held back: {why}"),
                (None, Some(by)) => format!("acknowledged by {by}"),
                (None, None) if i.notified_at_ms.is_some() => "notified".to_string(),
                (None, None) => "not notified (no channel takes it)".to_string(),
            };
            text.push_str(&format!(
                "  {:<8} {}  since {}  {state}\n",
                i.status.as_str(),
                i.series,
                short_utc(&opsdeck_core::time_fmt::rfc3339_from_ms(i.opened_at_ms)),
            ));
        }
    }
    for s in &snoozes {
        text.push_str(&format!(
            "snoozed: {} until {}\n",
            s.series,
            short_utc(&opsdeck_core::time_fmt::rfc3339_from_ms(s.until_ms))
        ));
    }
    if !deliveries.is_empty() {
        text.push_str("\nDELIVERIES (newest first)\n");
        for d in &deliveries {
            let state = match d.state {
                outbox::DeliveryState::Sent => "sent".to_string(),
                outbox::DeliveryState::Pending => format!("pending, attempt {}", d.attempts + 1),
                outbox::DeliveryState::Failed => "given up".to_string(),
            };
            text.push_str(&format!(
                "  {}  {:<12} {:<9} {}  ({state}{})\n",
                short_utc(&d.created_at),
                d.channel,
                d.kind.as_str(),
                d.title,
                d.last_error
                    .as_ref()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default()
            ));
        }
    }
    out(&text);
    0
}

/// Send a test notification through a channel now (also for `secret test` of its credential).
pub(super) async fn test(cli: &Cli, channel: &str) -> i32 {
    let (path, _) = config_path(cli);
    let config = match load_config(&path) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let dir = data_dir(cli);
    let store = if dir.join("opsdeck.sqlite").exists() {
        Store::open(&dir.join("opsdeck.sqlite")).await.ok()
    } else {
        None
    };
    let couriers = Couriers::new(Arc::new(Keychain), None);
    let result = match &store {
        Some(s) => alerting::test_channel(s.pool(), &config, &couriers, channel, &actor()).await,
        None => send_only(&config, &couriers, channel).await,
    };
    match result {
        Ok(()) => {
            eprintln!("test notification sent to `{channel}`");
            0
        }
        Err(e) => {
            eprintln!("{e}");
            match e {
                alerting::AlertError::NoChannel(_) => exit::DATA,
                _ => exit::UNAVAILABLE,
            }
        }
    }
}

/// A test without a database to note it in.
async fn send_only(
    config: &opsdeck_core::config::Config,
    couriers: &Couriers,
    channel: &str,
) -> Result<(), alerting::AlertError> {
    // An in-memory store: a test before the first start still says how it went.
    let scratch = Store::in_memory()
        .await
        .map_err(|e| alerting::AlertError::Invalid(e.to_string()))?;
    alerting::test_channel(scratch.pool(), config, couriers, channel, &actor()).await
}
