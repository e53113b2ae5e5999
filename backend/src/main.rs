use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ledgerbridge::config::{Config, Overrides};
use ledgerbridge::{Application, db, graphql};
use tracing_subscriber::EnvFilter;

/// Ledgerbridge: online store orders into QuickBooks Desktop.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the server: the dashboard, the GraphQL API and the Web Connector endpoint.
    Serve(Overrides),
    /// Applies pending database migrations and exits.
    Migrate(Overrides),
    /// Prints the GraphQL schema (SDL), as committed in schema.graphql.
    ExportSchema,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")))
        .with_writer(std::io::stderr)
        .init();
    ledgerbridge::memory::return_large_blocks_to_the_os();
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("ledgerbridge: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    match cli.command {
        Command::ExportSchema => print!("{}", graphql::sdl()),
        Command::Migrate(overrides) => {
            let config = Config::load(&overrides)?;
            let database = db::connect(&config.database_url).await?;
            db::migrate(&database).await?;
            eprintln!("database is up to date");
        }
        Command::Serve(overrides) => {
            let config = Config::load(&overrides)?;
            let app = Application::build(config).await?;
            let port = app.port();
            let base = app.public_url().to_owned();
            println!("Ledgerbridge is running at {base}/");
            println!("GraphiQL (API explorer): {base}/graphql");
            println!("Listening on port {port}. Stop with Ctrl-C.");
            app.run_until_stopped(shutdown_signal()).await?;
            eprintln!("Ledgerbridge stopped");
        }
    }
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM, so in-flight requests finish before the process exits.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
