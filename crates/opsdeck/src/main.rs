use clap::Parser;
use opsdeck::cli::{self, Cli, Command};
use tracing_subscriber::EnvFilter;

fn main() {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            let code = if e.use_stderr() { cli::exit::USAGE } else { 0 };
            std::process::exit(code);
        }
    };
    let default_level = match cli.command {
        Command::Serve(_) | Command::Demo(_) => "info",
        _ => "warn",
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            EnvFilter::try_from_env("OPSDECK_LOG")
                .unwrap_or_else(|_| EnvFilter::new(default_level)),
        )
        .init();
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
    std::process::exit(code);
}
