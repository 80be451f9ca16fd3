//! The `waggle` binary: parse the command line, set up logging, hand over to the library.

use clap::Parser;
use waggle::cli::{Cli, Command};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::DefaultConfig => {
            print!("{}", waggle::config::DEFAULT_CONFIG);
            std::process::ExitCode::SUCCESS
        }
        Command::Bench(args) => {
            waggle::telemetry::init("warn");
            let json = args.json;
            match waggle::bench::run(args).await {
                Ok(report) => {
                    if json {
                        println!("{}", waggle::bench::report::json(&report));
                    } else {
                        print!("{}", waggle::bench::report::table(&report));
                    }
                    std::process::ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("waggle bench: {e}");
                    std::process::ExitCode::FAILURE
                }
            }
        }
        Command::Serve(args) => {
            waggle::telemetry::init("info");
            for var in waggle::config::unexpected_env_variables() {
                tracing::warn!(variable = %var, "unknown WAGGLE_ environment variable ignored");
            }
            match serve(args).await {
                Ok(()) => std::process::ExitCode::SUCCESS,
                Err(e) => {
                    tracing::error!("{e}");
                    eprintln!("waggle: {e}");
                    std::process::ExitCode::FAILURE
                }
            }
        }
    }
}

async fn serve(args: waggle::cli::ServeArgs) -> Result<(), String> {
    let started = std::time::Instant::now();
    let config = args.into_config()?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let app = waggle::app::prepare(config).await?;
    tracing::info!(startup_ms = started.elapsed().as_millis() as u64, "ready");
    waggle::app::serve(app, listener, shutdown_signal()).await
}

/// Resolves on Ctrl-C or SIGTERM, so that in-flight requests finish and the database closes.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
