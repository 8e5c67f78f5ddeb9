use clap::Parser;
use opsdeck::cli::{self, Cli, Command};

fn main() {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            let code = if e.use_stderr() { cli::exit::USAGE } else { 0 };
            std::process::exit(code);
        }
    };
    // Long-running faces log their work to files too; one-shot commands only warn on stderr.
    let long_running = matches!(cli.command, Command::Serve(_) | Command::Demo(_));
    let default_level = if long_running { "info" } else { "warn" };
    let data_dir = cli
        .data_dir
        .clone()
        .unwrap_or_else(opsdeck_core::paths::default_data_dir);
    let logs = opsdeck::logging::init(default_level, long_running.then_some(data_dir.as_path()));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            std::process::exit(cli::exit::SOFTWARE);
        }
    };
    let code = runtime.block_on(cli::run(cli));
    // Don't wait for lingering probe tasks (a hanging endpoint) on the way out.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    // `exit` skips destructors: flush the log file first.
    drop(logs);
    std::process::exit(code);
}
