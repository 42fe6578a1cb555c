//! The HTTP application: shared state, middleware, routes and the server itself.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use actix_cors::Cors;
use actix_governor::Governor;
use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{middleware, web, App, HttpMessage, HttpResponse, HttpServer};
use tracing_actix_web::{RequestId, TracingLogger};
use utoipa::OpenApi;
use utoipa_actix_web::{scope, AppExt};
use utoipa_swagger_ui::{self as swagger_ui, SwaggerUi};

use crate::clock::Clock;
use crate::config::Settings;
use crate::context::AppState;
use crate::db::{Database, DbError};
use crate::error::Error;
use crate::http::body::{JsonLimit, PUBLIC_JSON_LIMIT};
use crate::http::error::ApiError;
use crate::http::openapi::{self, AllowTable, ApiDoc};
use crate::http::request_log::RedactedSpan;
use crate::http::{health, metrics as metrics_http, respond};
use crate::mail::worker::Worker;
use crate::mail::Mailer;
use crate::metrics::Metrics;
use crate::public::rate_limit;
use crate::tokens::cache::TokenCache;
use crate::tokens::{self, Role};
use crate::{companies, contacts, events, intentions, jobs, public, registrations, reminders, roadshows, teams};

/// Where the OpenAPI document is served (the docs page loads it from here).
const OPENAPI_URL: &str = "/api/v1/openapi.json";

/// A bound, not yet running, HTTP server.
pub struct Application {
    server: Server,
    port: u16,
    db: Database,
    settings: Arc<Settings>,
    clock: Clock,
    /// The metrics listener (`metrics.listen`), with its port, when metrics are on.
    metrics: Option<(Metrics, Server, u16)>,
}

impl Application {
    /// Binds to the configured address (port 0 picks a free one) and builds the server;
    /// everything reads the time from `clock`.
    pub fn build(settings: Settings, db: Database, clock: Clock) -> std::io::Result<Self> {
        let listener = TcpListener::bind((settings.server.host.as_str(), settings.server.port))?;
        let port = listener.local_addr()?.port();
        let shutdown = settings.server.shutdown_timeout_secs;
        let blocking_threads = (settings.database.pool_size as usize).max(2);
        let settings = Arc::new(settings);
        let limits = &settings.rate_limit;
        let public_limit = rate_limit::config(limits.public_per_minute, limits.forwarded_hops())
            .ok_or_else(|| std::io::Error::other("rate_limit.public_per_minute must be between 1 and 60000"))?;
        let tokens = TokenCache::new(std::time::Duration::from_secs(settings.auth.token_cache_secs));
        let state = web::Data::new(AppState {
            db: db.clone(),
            settings: settings.clone(),
            tokens,
            clock: clock.clone(),
        });
        let jobs_settings = settings.clone();
        let metrics = match settings.metrics.address() {
            Some(address) => Some(metrics_server(address, &db, &clock)?),
            None => None,
        };
        let request_metrics = metrics.as_ref().map(|(m, _, _)| web::Data::new(m.clone()));
        let server = HttpServer::new(move || {
            let (app, api) =
                App::new()
                    .into_utoipa_app()
                    .openapi(ApiDoc::openapi())
                    .map(|app| {
                        let app = match &request_metrics {
                            Some(m) => app.app_data(m.clone()),
                            None => app,
                        };
                        app.app_data(state.clone())
                            .app_data(web::QueryConfig::default().error_handler(|e, _| {
                                ApiError::bad_request(format!("invalid query string: {e}")).into()
                            }))
                            .app_data(
                                web::PathConfig::default()
                                    .error_handler(|e, _| ApiError::not_found(format!("invalid path: {e}")).into()),
                            )
                            .app_data(
                                web::JsonConfig::default()
                                    .error_handler(|e, _| ApiError::bad_request(format!("malformed JSON: {e}")).into()),
                            )
                            .wrap(middleware::from_fn(request_id_header))
                            .wrap(cors(&settings.server.cors_origins))
                            .wrap(TracingLogger::<RedactedSpan>::new())
                            .wrap(middleware::from_fn(metrics_http::record))
                    })
                    // Every route, each declared once by its handler's route macro: mounting
                    // them here also builds the document's paths.
                    .service(health::healthz)
                    .service(health::readyz)
                    .service(
                        scope("/api/v1")
                            .route("/openapi.json", web::get().to(openapi::serve))
                            .service(
                                scope("/public")
                                    .app_data(JsonLimit(PUBLIC_JSON_LIMIT))
                                    .wrap(Governor::new(&public_limit))
                                    .configure(public::handlers::configure)
                                    .configure(reminders::handlers::configure_public),
                            )
                            .configure(events::handlers::configure)
                            .configure(roadshows::handlers::configure)
                            .configure(registrations::handlers::configure)
                            .configure(contacts::handlers::configure)
                            .configure(companies::handlers::configure)
                            .configure(reminders::handlers::configure)
                            .configure(teams::handlers::configure)
                            .configure(intentions::handlers::configure)
                            .configure(tokens::handlers::configure),
                    )
                    .split_for_parts();
            let api = openapi::finish(api);
            app.app_data(web::Data::new(AllowTable::new(&api)))
                .app_data(web::Data::new(openapi::Served::new(&api)))
                .route("/docs", web::get().to(docs_redirect))
                .service(SwaggerUi::new("/docs/{_:.*}").config(swagger_ui::Config::from(OPENAPI_URL)))
                .default_service(web::to(respond::no_route))
        })
        .shutdown_timeout(shutdown)
        // Database work runs on each worker's blocking pool; threads beyond the
        // connections only wait for one, and each idle thread keeps its memory.
        .worker_max_blocking_threads(blocking_threads)
        .listen(listener)?
        .run();
        Ok(Application {
            server,
            port,
            db,
            settings: jobs_settings,
            clock,
            metrics,
        })
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port `/metrics` is served on, when `metrics.listen` is set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(_, _, port)| *port)
    }

    /// This process's metrics, when `metrics.listen` is set (for workers run beside it).
    pub fn metrics(&self) -> Option<Metrics> {
        self.metrics.as_ref().map(|(m, _, _)| m.clone())
    }

    /// Serves until SIGTERM/SIGINT, then lets in-flight requests finish; background
    /// jobs run meanwhile and stop with the server.
    pub async fn run(self) -> std::io::Result<()> {
        let _purge =
            jobs::purge_idempotency_keys(self.db.clone(), self.settings.idempotency.clone(), self.clock.clone())?;
        let _search = jobs::merge_search_index(self.db.clone())?;
        let _trim = jobs::trim_c_heap()?;
        // Declared after the purge, so dropped first: in-flight sends finish before exit.
        let _mail = match self.settings.reminders.worker_enabled {
            true => {
                let mailer = Mailer::new(&self.settings.mail).map_err(std::io::Error::other)?;
                let mut worker = Worker::new(self.db, mailer, self.clock, self.settings.clone(), &worker_name());
                if let Some((metrics, _, _)) = &self.metrics {
                    worker = worker.with_metrics(metrics.clone());
                }
                Some(jobs::deliver_emails(
                    worker,
                    self.settings.reminders.poll_interval_secs,
                )?)
            }
            false => None,
        };
        let Some((_, metrics_server, _)) = self.metrics else {
            return self.server.await;
        };
        // The metrics listener lives as long as the API: it stops when the API has.
        let handle = metrics_server.handle();
        let server = self.server;
        let api = async move {
            let result = server.await;
            handle.stop(true).await;
            result
        };
        let (result, _) = futures_util::future::join(api, metrics_server).await;
        result
    }
}

/// Binds the metrics listener: `GET /metrics` and nothing else, one worker thread,
/// stopped with the API rather than by signals of its own.
fn metrics_server(
    address: std::net::SocketAddr,
    db: &Database,
    clock: &Clock,
) -> std::io::Result<(Metrics, Server, u16)> {
    let metrics = Metrics::new().map_err(std::io::Error::other)?;
    let listener = TcpListener::bind(address)?;
    let port = listener.local_addr()?.port();
    let endpoint = web::Data::new(metrics_http::Endpoint {
        metrics: metrics.clone(),
        db: db.clone(),
        clock: clock.clone(),
    });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(endpoint.clone())
            .route("/metrics", web::get().to(metrics_http::serve))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?
    .run();
    tracing::info!(address = %address.ip(), port, "metrics are served at /metrics");
    Ok((metrics, server, port))
}

/// A name unique to this worker (host, process, random), stamped on the emails it holds.
pub fn worker_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "roadshow".into());
    format!(
        "{host}-{}-{}",
        std::process::id(),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, "/docs/"))
        .finish()
}

/// CORS for the configured origins; same-origin requests (e.g. from `/docs`) always pass.
fn cors(origins: &[String]) -> Cors {
    let allowed: Vec<String> = origins.to_vec();
    Cors::default()
        .allowed_origin_fn(move |origin, head| {
            let Ok(origin) = origin.to_str() else {
                return false;
            };
            if allowed.iter().any(|o| o == origin) {
                return true;
            }
            let host = head.headers().get(header::HOST).and_then(|h| h.to_str().ok());
            host.is_some_and(|h| origin.split_once("://").is_some_and(|(_, rest)| rest == h))
        })
        .allowed_methods(["GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            HeaderName::from_static("x-request-id"),
        ])
        .max_age(3600)
}

/// Sends the request id that the log lines carry back as `X-Request-Id`.
async fn request_id_header(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = req.extensions().get::<RequestId>().map(|id| id.to_string());
    let mut res = next.call(req).await?;
    if let Some(value) = id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        res.headers_mut().insert(HeaderName::from_static("x-request-id"), value);
    }
    Ok(res)
}

/// On a database without tokens, makes the first admin token and writes it to `path`
/// (mode 0600). Returns the path when it did; the token itself is never logged.
pub fn bootstrap_admin(db: &Database, path: &Path, now: chrono::NaiveDateTime) -> Result<Option<PathBuf>, DbError> {
    db.write_blocking(|c| {
        if !tokens::queries::none_exist(c).map_err(|e| DbError::Migration(e.to_string()))? {
            return Ok(None);
        }
        let made = match tokens::queries::create(c, "bootstrap-admin", Role::Admin, now) {
            Ok(made) => made,
            // Another replica made it first.
            Err(Error::Conflict { .. }) => return Ok(None),
            Err(e) => return Err(DbError::Migration(e.to_string())),
        };
        write_secret(path, &made.token).map_err(|e| DbError::Directory(path.display().to_string(), e))?;
        Ok(Some(path.to_path_buf()))
    })
}

fn write_secret(path: &Path, secret: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    // An older file keeps its mode on open: tighten it either way.
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    writeln!(file, "{secret}")
}

/// Opens and migrates the database, bootstraps the first token, then serves until stopped.
pub async fn serve(settings: Settings) -> Result<(), Box<dyn std::error::Error>> {
    let db = Database::from_settings(&settings.database)?;
    db.migrate()?;
    if let Some(path) = bootstrap_admin(&db, &settings.auth.bootstrap_token_file, Clock::system().now())? {
        tracing::warn!(path = %path.display(), "fresh database: the first admin token was written to this file (mode 0600)");
    }
    let app = Application::build(settings.clone(), db, Clock::system())?;
    tracing::info!(host = %settings.server.host, port = app.port(), "roadshow is listening");
    app.run().await?;
    tracing::info!("roadshow stopped");
    Ok(())
}
