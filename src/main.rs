//! The `roadshow` command line: serve, migrate, token, demo, worker.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use roadshow::clock::Clock;
use roadshow::config::Settings;
use roadshow::db::Database;
use roadshow::mail::worker::Worker;
use roadshow::tokens::Role;
use tracing_subscriber::EnvFilter;

// glibc malloc spent about a tenth of the event list's CPU in perf; mimalloc keeps
// per-thread free lists for the many short-lived rows and strings a request makes.
// Its arenas are not committed up front (`.cargo/config.toml`): that only cost memory.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "roadshow", version, about = "Plan investment-promotion events and roadshows")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP API (migrates the database first).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Load the demo roadshow from the seed article (safe to run twice).
    Demo,
    /// Send due emails until stopped (`serve` also does, unless reminders.worker_enabled=false).
    Worker,
}

#[derive(Subcommand)]
enum TokenAction {
    /// Create a token and print it once.
    Create {
        /// A unique name for the token, e.g. the person or script using it.
        #[arg(long)]
        name: String,
        /// What the token may do.
        #[arg(long, value_enum)]
        role: Role,
        /// The team (by name) the token acts for: its new intentions default to it.
        #[arg(long)]
        team: Option<String>,
    },
}

fn main() -> ExitCode {
    roadshow::c_heap::bound();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("roadshow: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let settings = Settings::load()?;
    match cli.command {
        Command::Serve => actix_web::rt::System::new().block_on(roadshow::app::serve(settings)),
        Command::Migrate => {
            open(&settings)?;
            eprintln!("migrations applied");
            Ok(())
        }
        Command::Token {
            action: TokenAction::Create { name, role, team },
        } => {
            let db = open(&settings)?;
            let name = roadshow::tokens::validate_name(&name).map_err(|m| format!("--name {m}"))?;
            let made = db.write_blocking(|c| {
                let team_id = match &team {
                    Some(team) => Some(roadshow::teams::service::id_by_name(c, team)?),
                    None => None,
                };
                roadshow::tokens::queries::create_for_team(c, &name, role, team_id.as_deref(), Clock::system().now())
            })?;
            eprintln!(
                "created {} token {:?} (id {}); store it now, it is not shown again:",
                role.as_str(),
                made.info.name,
                made.info.id
            );
            println!("{}", made.token);
            Ok(())
        }
        Command::Worker => {
            let db = open(&settings)?;
            let mailer = roadshow::mail::Mailer::new(&settings.mail)?;
            let name = roadshow::app::worker_name();
            let poll = settings.reminders.poll_interval_secs;
            let worker = Worker::new(db, mailer, Clock::system(), std::sync::Arc::new(settings), &name);
            let job = roadshow::jobs::deliver_emails(worker, poll)?;
            tracing::info!(worker = %name, "sending due emails; stop with SIGINT or SIGTERM");
            wait_for_stop()?;
            // Finishes the emails it holds before it returns.
            drop(job);
            tracing::info!("worker stopped");
            Ok(())
        }
        Command::Demo => {
            let db = open(&settings)?;
            let report = roadshow::demo::load(&db, Clock::system().now())?;
            println!("{report}");
            Ok(())
        }
    }
}

/// Blocks until SIGINT or SIGTERM.
fn wait_for_stop() -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let mut term = signal(SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r,
            _ = term.recv() => Ok(()),
        }
    })
}

fn open(settings: &Settings) -> Result<Database, Box<dyn std::error::Error>> {
    let db = Database::from_settings(&settings.database)?;
    db.migrate()?;
    Ok(db)
}
