//! Starting an engine the way every long-running face does (`opsdeck serve`, `opsdeck demo`, the
//! desktop app): pick the config or the demo estate, open the history, resume, watch the file.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use opsdeck_core::api::{Api, Files};
use opsdeck_core::config::{Config, ConfigError};
use opsdeck_core::engine::{Engine, EngineError};
use opsdeck_core::secret::{Keychain, SecretSource};
use opsdeck_core::store::{Store, StoreError};

use crate::demo::DemoEstate;

#[derive(Debug, Clone)]
pub struct BootOptions {
    /// The config file, and whether the user named it (`--config` / `OPSDECK_CONFIG`).
    pub config: PathBuf,
    pub config_explicit: bool,
    pub data_dir: PathBuf,
    /// Serve the demo estate whatever the config says.
    pub demo: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum BootError {
    #[error("{0}")]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Engine(#[from] EngineError),
    #[error("cannot start the demo estate: {0}")]
    Demo(std::io::Error),
}

/// A started engine; keep it alive as long as the engine runs (it owns the demo fakes).
#[derive(Debug)]
pub struct Booted {
    pub engine: Arc<Engine>,
    pub database: PathBuf,
    /// Set when no config file exists and the demo estate is served instead.
    pub demo_instead_of: Option<PathBuf>,
    /// What the settings page shows and edits.
    pub files: Files,
    _demo: Option<DemoEstate>,
}

impl Booted {
    /// The command surface over this engine, knowing where its files are.
    pub fn api(&self) -> Api {
        Api::with_files(self.engine.clone(), self.files.clone())
    }
}

pub async fn start(options: &BootOptions) -> Result<Booted, BootError> {
    let use_demo = options.demo || (!options.config_explicit && !options.config.exists());
    let (config, watch, db_name, secrets, demo): (
        Config,
        Option<PathBuf>,
        &str,
        Arc<dyn SecretSource>,
        Option<DemoEstate>,
    ) = if use_demo {
        let estate = crate::demo::start().await.map_err(BootError::Demo)?;
        // The demo brings its own made-up credentials: nothing is read from the keychain.
        let config = estate.config.clone();
        let secrets: Arc<dyn SecretSource> = Arc::new(estate.secrets.clone());
        (config, None, "demo.sqlite", secrets, Some(estate))
    } else {
        let config = Config::load(&options.config)?;
        (
            config,
            Some(options.config.clone()),
            "opsdeck.sqlite",
            Arc::new(Keychain),
            None,
        )
    };
    let database = options.data_dir.join(db_name);
    let store = Store::open(&database).await?;
    let engine = Engine::new(config, store, secrets).await?;
    engine.set_config_state(watch.as_ref().map(|p| p.display().to_string()), None);
    engine.start().await;
    if let Some(path) = watch {
        tokio::spawn(opsdeck_core::watch::watch_config(
            engine.clone(),
            path,
            Duration::from_secs(2),
        ));
    }
    let files = Files {
        // `opsdeck demo` edits nothing; the demo shown for a missing file offers to create it.
        config: (!options.demo).then(|| options.config.clone()),
        demo: use_demo,
        data_dir: Some(options.data_dir.clone()),
        database: Some(database.clone()),
        log_dir: Some(crate::logging::log_dir(&options.data_dir)),
    };
    Ok(Booted {
        engine,
        files,
        database,
        demo_instead_of: (use_demo && !options.demo).then(|| options.config.clone()),
        _demo: demo,
    })
}
