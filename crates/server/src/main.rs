//! `nerutalk`: serve (the default), migrate, or print the OpenAPI or AsyncAPI document.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use nerutalk_server::config::LogFormat;
use nerutalk_server::{Application, Settings, open_store};
use tracing_subscriber::EnvFilter;

#[derive(Debug, Parser)]
#[command(name = "nerutalk", version, about = "NeruTalk chat backend")]
struct Cli {
    /// Configuration file (default: ./nerutalk.toml if present).
    #[arg(long, global = true, env = "NERUTALK_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the OpenAPI document.
    Openapi,
    /// Print the AsyncAPI document of the WebSocket protocol.
    Asyncapi,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let document = match cli.command {
        Some(Command::Openapi) => Some(("OpenAPI", nerutalk_http::openapi::json())),
        Some(Command::Asyncapi) => Some(("AsyncAPI", nerutalk_http::asyncapi::json())),
        _ => None,
    };
    if let Some((kind, rendered)) = document {
        return match rendered {
            Ok(json) => {
                print!("{json}");
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("cannot render the {kind} document: {error}");
                ExitCode::FAILURE
            }
        };
    }
    // Read before logging starts, since they say how to log; so a bad
    // setting is reported on stderr as it is.
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    start_logging(settings.log_format);
    match run(cli, settings) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to stdout, filtered by `RUST_LOG` (default `info`).
fn start_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Colours only for a person at a terminal, not in a file or collector.
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stdout().is_terminal());
    match format {
        LogFormat::Text => logs.init(),
        // Each line flat: the event's fields beside `timestamp`, `level`,
        // `target` and `message`, and the fields of every span it is in
        // (the request's `request_id`, route, …) under `spans`, outermost
        // first, and those of the innermost under `span`.
        LogFormat::Json => logs
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(true)
            .init(),
    }
}

fn run(cli: Cli, settings: Settings) -> anyhow::Result<()> {
    actix_web::rt::System::new().block_on(async move {
        match cli.command {
            Some(Command::Migrate) => {
                let applied = open_store(&settings)?.migrate().await?;
                tracing::info!(?applied, "migrations applied");
                Ok(())
            }
            _ => Ok(Application::build(settings)
                .await?
                .stopped_by_signals()
                .run_until_stopped()
                .await?),
        }
    })
}
