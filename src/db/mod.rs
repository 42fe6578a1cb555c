//! Storage: one connection type over SQLite and PostgreSQL, its pools, and migrations.
//!
//! Every write goes through [`Database::write`]. On PostgreSQL it runs in its own
//! transaction on the shared pool. On SQLite, which takes one writer at a time, writes
//! queue for one writer thread that runs whatever has queued up in one immediate
//! transaction (group commit), each write in its own savepoint, and answers each only
//! after the commit: one BEGIN/COMMIT and no pool hand-over per write.

pub mod prepared;
pub mod schema;
pub mod search;
pub mod stored_enum;
pub mod stored_time;

use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{ManageConnection, Pool, PooledConnection, R2D2Connection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::config::{DatabaseSettings, SqliteSynchronous};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Settings every SQLite connection needs: a busy timeout for the rare cross-process
/// wait, and enforced foreign keys. WAL is set once per file in [`Database::open`];
/// `synchronous` and the cache size come from [`SqliteTuning`].
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout=5000; PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;";

/// What the operator may tune on SQLite connections.
#[derive(Debug, Clone, Copy)]
pub struct SqliteTuning {
    /// FULL (durable through a power loss) or NORMAL.
    pub synchronous: SqliteSynchronous,
    /// Page cache per connection, KiB.
    pub cache_kib: u32,
}

impl Default for SqliteTuning {
    fn default() -> Self {
        SqliteTuning {
            synchronous: SqliteSynchronous::Full,
            cache_kib: 2048,
        }
    }
}

impl SqliteTuning {
    fn pragmas(&self) -> String {
        let sync = match self.synchronous {
            SqliteSynchronous::Full => "FULL",
            SqliteSynchronous::Normal => "NORMAL",
        };
        // A negative cache_size is in KiB.
        format!(
            "{SQLITE_PRAGMAS} PRAGMA synchronous={sync}; PRAGMA cache_size=-{};",
            self.cache_kib
        )
    }
}

/// Serialises migrations when several replicas start at once on PostgreSQL.
const MIGRATION_LOCK: i64 = 0x526f_6164_7368_6f77; // "Roadshow"

/// One connection, to either backend.
#[derive(diesel::MultiConnection)]
pub enum Db {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

/// Which database engine a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A failure to open, migrate or use the database outside a request.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot connect to the database: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("database error: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("migration failed: {0}")]
    Migration(String),
    #[error("cannot open the database: {0}")]
    Open(#[from] diesel::r2d2::Error),
    #[error("cannot create the database directory {0}: {1}")]
    Directory(String, std::io::Error),
    /// The write ran but its transaction did not commit (SQLite gave up the batch).
    #[error("the write could not be committed")]
    NotCommitted,
    /// The work panicked or its thread went away.
    #[error("a database task failed: {0}")]
    Task(String),
}

/// Opens connections for the backend chosen by the URL's scheme: diesel's own
/// multi-connection `establish` would fall back to SQLite for any string.
#[derive(Debug, Clone)]
pub struct Manager {
    backend: Backend,
    url: String,
    pragmas: String,
}

impl Manager {
    /// Picks the backend from `url`: `postgres://`/`postgresql://` or a SQLite path.
    pub fn new(url: &str) -> Self {
        Self::tuned(url, SqliteTuning::default())
    }

    /// Like [`Manager::new`], with SQLite connections set up as `tuning` says.
    pub fn tuned(url: &str, tuning: SqliteTuning) -> Self {
        let url = url.trim();
        let pragmas = tuning.pragmas();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Manager {
                backend: Backend::Postgres,
                url: url.to_string(),
                pragmas,
            };
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        Manager {
            backend: Backend::Sqlite,
            url: path.to_string(),
            pragmas,
        }
    }
}

impl ManageConnection for Manager {
    type Connection = Db;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<Db, Self::Error> {
        use diesel::r2d2::Error;
        match self.backend {
            Backend::Postgres => PgConnection::establish(&self.url)
                .map(Db::Pg)
                .map_err(Error::ConnectionError),
            Backend::Sqlite => {
                let mut conn = SqliteConnection::establish(&self.url).map_err(Error::ConnectionError)?;
                conn.batch_execute(&self.pragmas).map_err(Error::QueryError)?;
                Ok(Db::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut Db) -> Result<(), Self::Error> {
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut Db) -> bool {
        conn.is_broken()
    }
}

type DbPool = Pool<Manager>;

/// The pools for reads and writes; cheap to clone.
#[derive(Clone)]
pub struct Database {
    read: DbPool,
    write: DbPool,
    backend: Backend,
    /// SQLite's writer thread (none on PostgreSQL).
    writer: Option<std::sync::mpsc::Sender<Box<dyn BatchJob>>>,
}

/// One pool's use at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolState {
    pub name: &'static str,
    /// Open connections, in use or idle.
    pub connections: u32,
    pub idle: u32,
    /// The most it opens.
    pub max: u32,
}

/// The most writes one SQLite transaction takes: enough to amortise the commit,
/// few enough that no write waits long for the others in its batch.
const BATCH_MAX: usize = 32;

/// One queued write, type-erased for the writer thread.
trait BatchJob: Send {
    /// Runs the write; false when it failed (its savepoint is then rolled back).
    fn run(&mut self, c: &mut Db) -> bool;
    /// Answers the caller once the batch's fate is known.
    fn finish(self: Box<Self>, committed: bool);
}

struct Job<T, E, F> {
    work: Option<F>,
    result: Option<Result<T, E>>,
    reply: futures_channel::oneshot::Sender<Result<T, E>>,
}

impl<T, E, F> BatchJob for Job<T, E, F>
where
    F: FnOnce(&mut Db) -> Result<T, E> + Send,
    T: Send,
    E: From<DbError> + Send,
{
    fn run(&mut self, c: &mut Db) -> bool {
        let Some(work) = self.work.take() else { return false };
        let result = catch_unwind(AssertUnwindSafe(|| work(c)))
            .unwrap_or_else(|_| Err(DbError::Task("a database write panicked".into()).into()));
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn finish(self: Box<Self>, committed: bool) {
        let answer = match self.result {
            Some(Ok(value)) if committed => Ok(value),
            Some(Err(e)) => Err(e),
            _ => Err(DbError::NotCommitted.into()),
        };
        let _ = self.reply.send(answer);
    }
}

/// Starts SQLite's writer thread on its own connection; it ends when the last
/// [`Database`] clone is dropped.
fn spawn_writer(manager: &Manager) -> Result<std::sync::mpsc::Sender<Box<dyn BatchJob>>, DbError> {
    let mut conn = manager.connect()?;
    let (tx, rx) = std::sync::mpsc::channel::<Box<dyn BatchJob>>();
    std::thread::Builder::new()
        .name("sqlite-writer".into())
        .spawn(move || {
            while let Ok(first) = rx.recv() {
                let mut batch = vec![first];
                while batch.len() < BATCH_MAX {
                    match rx.try_recv() {
                        Ok(job) => batch.push(job),
                        Err(_) => break,
                    }
                }
                run_batch(&mut conn, batch);
            }
        })
        .map_err(|e| DbError::Migration(format!("cannot start the SQLite writer thread: {e}")))?;
    Ok(tx)
}

/// Runs queued writes in one transaction, each in a savepoint so a failing write
/// leaves the others intact; answers all after the commit.
fn run_batch(conn: &mut Db, mut batch: Vec<Box<dyn BatchJob>>) {
    if conn.batch_execute("BEGIN IMMEDIATE").is_err() {
        batch.into_iter().for_each(|job| job.finish(false));
        return;
    }
    if let [job] = batch.as_mut_slice() {
        // Alone in its transaction (the usual case for a mail worker recording its
        // sends): a failure rolls back nothing else, so no savepoint is needed.
        let committed = job.run(conn) && conn.batch_execute("COMMIT").is_ok();
        if !committed {
            let _ = conn.batch_execute("ROLLBACK");
        }
        batch.into_iter().for_each(|job| job.finish(committed));
        return;
    }
    // If SQLite itself abandons the transaction (I/O error, full disk), the savepoint
    // statements fail: stop there and report every write of the batch as not committed.
    let mut intact = true;
    for job in batch.iter_mut() {
        intact = conn.batch_execute("SAVEPOINT job").is_ok();
        if !intact {
            break;
        }
        let end = if job.run(conn) {
            "RELEASE job"
        } else {
            "ROLLBACK TO job; RELEASE job"
        };
        intact = conn.batch_execute(end).is_ok();
        if !intact {
            break;
        }
    }
    let committed = intact && conn.batch_execute("COMMIT").is_ok();
    if !committed {
        let _ = conn.batch_execute("ROLLBACK");
    }
    batch.into_iter().for_each(|job| job.finish(committed));
}

impl Database {
    /// Opens the database at `url` (creating a SQLite file's directory if needed).
    pub fn open(url: &str, pool_size: u32) -> Result<Self, DbError> {
        Self::open_tuned(url, pool_size, SqliteTuning::default())
    }

    /// Opens the database the settings name, tuned as they say.
    pub fn from_settings(s: &DatabaseSettings) -> Result<Self, DbError> {
        let tuning = SqliteTuning {
            synchronous: s.sqlite_synchronous,
            cache_kib: s.sqlite_cache_kib,
        };
        Self::open_tuned(&s.url, s.pool_size, tuning)
    }

    /// Like [`Database::open`], with SQLite connections set up as `tuning` says.
    pub fn open_tuned(url: &str, pool_size: u32, tuning: SqliteTuning) -> Result<Self, DbError> {
        let manager = Manager::tuned(url, tuning);
        let backend = manager.backend;
        if backend == Backend::Sqlite {
            if let Some(dir) = std::path::Path::new(&manager.url).parent() {
                if !dir.as_os_str().is_empty() {
                    std::fs::create_dir_all(dir).map_err(|e| DbError::Directory(dir.display().to_string(), e))?;
                }
            }
            // WAL (readers never block the writer) is stored in the file: set it once,
            // before the pools open connections in parallel and race for the lock.
            let mut conn = manager.connect()?;
            conn.batch_execute("PRAGMA journal_mode=WAL")?;
        }
        let build = |size: u32| {
            Pool::builder()
                .max_size(size)
                .connection_timeout(Duration::from_secs(10))
                // A ping per checkout doubles the statements of a small request; a broken
                // connection is noticed by `has_broken` and replaced instead.
                .test_on_check_out(false)
                .build(manager.clone())
        };
        let read = build(pool_size)?;
        let (write, writer) = match backend {
            Backend::Sqlite => (build(1)?, Some(spawn_writer(&manager)?)),
            Backend::Postgres => (read.clone(), None),
        };
        Ok(Database {
            read,
            write,
            backend,
            writer,
        })
    }

    /// Applies pending migrations; safe to run from several processes at once.
    pub fn migrate(&self) -> Result<(), DbError> {
        let mut conn = self.write.get()?;
        let run = |conn: &mut Db, m: EmbeddedMigrations| {
            conn.run_pending_migrations(m)
                .map(|_| ())
                .map_err(|e| DbError::Migration(e.to_string()))
        };
        match self.backend {
            Backend::Sqlite => {
                run(&mut conn, SQLITE_MIGRATIONS)?;
                drop(conn);
                search::backfill(self)
            }
            Backend::Postgres => {
                conn.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))?;
                // The backfill runs under the lock too: one replica indexes old rows.
                let result = run(&mut conn, POSTGRES_MIGRATIONS).and_then(|()| search::backfill(self));
                conn.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))?;
                result
            }
        }
    }

    /// Runs read-only work on the blocking pool, in the caller's error type.
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Db) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let pool = self.read.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(DbError::from)?;
            f(&mut conn)
        })
        .await
        .map_err(|e| DbError::Task(e.to_string()))?
    }

    /// Runs `f` as one atomic write: its own transaction on PostgreSQL, a savepoint in
    /// the writer thread's next transaction on SQLite. Answers after the commit.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Db) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + From<diesel::result::Error> + Send + 'static,
    {
        let Some(writer) = &self.writer else {
            let db = self.clone();
            return tokio::task::spawn_blocking(move || db.write_blocking(f))
                .await
                .map_err(|e| DbError::Task(e.to_string()))?;
        };
        let answer = submit(writer, f)?;
        answer.await.map_err(|_| stopped())?
    }

    /// Writes statements that each stand alone (a mail worker's claim, its records),
    /// waiting on the calling thread (one that may block). On SQLite `f` joins the
    /// writer thread's next transaction, so it never competes with it for the file's
    /// lock; on PostgreSQL each statement commits by itself, which spares the two round
    /// trips of `BEGIN` and `COMMIT` per write.
    pub fn write_each_waiting<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Db) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + From<diesel::result::Error> + Send + 'static,
    {
        let Some(writer) = &self.writer else {
            let mut conn = self.write.get().map_err(DbError::from)?;
            return f(&mut conn);
        };
        let answer = submit(writer, f)?;
        block_on(answer).map_err(|_| stopped())?
    }

    /// Runs `f` in one write transaction on the calling thread (for the CLI and workers).
    pub fn write_blocking<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Db) -> Result<T, E>,
        E: From<diesel::result::Error> + From<DbError>,
    {
        let mut conn = self.write.get().map_err(DbError::from)?;
        transaction(&mut conn, f)
    }

    /// How full the pools are: `read` and `write` on SQLite (whose writer thread keeps
    /// one more connection of its own), one `shared` pool on PostgreSQL.
    pub fn pool_states(&self) -> Vec<PoolState> {
        let state = |name: &'static str, pool: &DbPool| {
            let s = pool.state();
            PoolState {
                name,
                connections: s.connections,
                idle: s.idle_connections,
                max: pool.max_size(),
            }
        };
        match self.backend {
            Backend::Sqlite => vec![state("read", &self.read), state("write", &self.write)],
            Backend::Postgres => vec![state("shared", &self.read)],
        }
    }

    /// A connection for one-off work outside requests (CLI, health checks).
    pub fn connection(&self) -> Result<PooledConnection<Manager>, DbError> {
        Ok(self.read.get()?)
    }
}

/// Hands `f` to the SQLite writer thread: the receiver of its result.
fn submit<T, E, F>(
    writer: &std::sync::mpsc::Sender<Box<dyn BatchJob>>,
    f: F,
) -> Result<futures_channel::oneshot::Receiver<Result<T, E>>, DbError>
where
    F: FnOnce(&mut Db) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<DbError> + From<diesel::result::Error> + Send + 'static,
{
    let (reply, answer) = futures_channel::oneshot::channel();
    let job = Job {
        work: Some(f),
        result: None,
        reply,
    };
    writer.send(Box::new(job)).map_err(|_| stopped())?;
    Ok(answer)
}

/// The error for a writer thread that is gone.
fn stopped() -> DbError {
    DbError::Task("the SQLite writer stopped".into())
}

/// Waits for `future` on the calling thread (parked until woken), outside any runtime.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    use std::task::{Context, Poll, Wake, Waker};
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(std::sync::Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
            return value;
        }
        std::thread::park();
    }
}

/// Runs `f` in a transaction: `BEGIN IMMEDIATE` on SQLite, so the write lock is taken up
/// front (a deferred transaction that reads then writes fails under concurrency).
fn transaction<T, E, F>(conn: &mut Db, f: F) -> Result<T, E>
where
    F: FnOnce(&mut Db) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    if let Db::Pg(_) = conn {
        return conn.transaction(f);
    }
    conn.batch_execute("BEGIN IMMEDIATE")?;
    let outcome = catch_unwind(AssertUnwindSafe(|| f(conn)));
    match outcome {
        Ok(Ok(value)) => match conn.batch_execute("COMMIT") {
            Ok(()) => Ok(value),
            Err(e) => {
                let _ = conn.batch_execute("ROLLBACK");
                Err(e.into())
            }
        },
        Ok(Err(e)) => {
            let _ = conn.batch_execute("ROLLBACK");
            Err(e)
        }
        Err(panic) => {
            // The connection goes back to the pool: leave no transaction open on it.
            let _ = conn.batch_execute("ROLLBACK");
            resume_unwind(panic)
        }
    }
}

/// `INSERT … ON CONFLICT DO NOTHING` of `$values` into `$table` on either backend
/// (the multi-backend connection has no upsert, so each variant runs its own): the
/// number of rows inserted, 0 when a unique key was taken (without aborting a
/// PostgreSQL transaction, as a raised violation would).
#[macro_export]
macro_rules! insert_or_skip {
    ($conn:expr, $table:expr, $values:expr $(,)?) => {{
        use diesel::RunQueryDsl;
        match $conn {
            $crate::db::Db::Pg(c) => diesel::insert_into($table)
                .values($values)
                .on_conflict_do_nothing()
                .execute(c),
            $crate::db::Db::Sqlite(c) => diesel::insert_into($table)
                .values($values)
                .on_conflict_do_nothing()
                .execute(c),
        }
    }};
}

/// Rows per multi-row `INSERT` on PostgreSQL: a statement takes at most 65,535 binds,
/// and this leaves room for tables of up to 65 columns.
pub const PG_ROWS_PER_INSERT: usize = 1000;

/// Inserts every row of the slice `$rows` into `$table`: one multi-row statement per
/// [`PG_ROWS_PER_INSERT`] rows on PostgreSQL (a round trip each row would cost), one
/// statement per row on SQLite, which is in-process and whose diesel batch would open a
/// transaction of its own inside the writer's. The number of rows inserted.
#[macro_export]
macro_rules! insert_many {
    ($conn:expr, $table:expr, $rows:expr $(,)?) => {{
        use diesel::RunQueryDsl;
        let rows = $rows;
        match $conn {
            $crate::db::Db::Pg(c) if rows.len() > 1 => {
                rows.chunks($crate::db::PG_ROWS_PER_INSERT).try_fold(0, |n, chunk| {
                    diesel::insert_into($table).values(chunk).execute(c).map(|k| n + k)
                })
            }
            c => rows.iter().try_fold(0, |n, row| {
                diesel::insert_into($table).values(row).execute(c).map(|k| n + k)
            }),
        }
    }};
}

/// [`insert_many!`] that skips rows whose unique key is taken (`ON CONFLICT DO
/// NOTHING`): the number of rows inserted.
#[macro_export]
macro_rules! insert_many_or_skip {
    ($conn:expr, $table:expr, $rows:expr $(,)?) => {{
        use diesel::RunQueryDsl;
        let rows = $rows;
        match $conn {
            $crate::db::Db::Pg(c) if rows.len() > 1 => {
                rows.chunks($crate::db::PG_ROWS_PER_INSERT).try_fold(0, |n, chunk| {
                    diesel::insert_into($table)
                        .values(chunk)
                        .on_conflict_do_nothing()
                        .execute(c)
                        .map(|k| n + k)
                })
            }
            c => rows
                .iter()
                .try_fold(0, |n, row| $crate::insert_or_skip!(&mut *c, $table, row).map(|k| n + k)),
        }
    }};
}

/// True when a diesel error is a unique-constraint violation.
pub fn is_unique_violation(e: &diesel::result::Error) -> bool {
    matches!(
        e,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    fn now() -> chrono::NaiveDateTime {
        crate::clock::Clock::system().now()
    }

    #[test]
    fn a_failing_write_leaves_the_rest_of_its_batch_committed() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(&dir.path().join("t.db").display().to_string(), 2).unwrap();
        db.migrate().unwrap();
        let insert = |name: &'static str| {
            move |c: &mut Db| -> Result<(), Error> {
                crate::tokens::queries::create(c, name, crate::tokens::Role::Viewer, now()).map(|_| ())
            }
        };
        let fail = |c: &mut Db| -> Result<(), Error> {
            crate::tokens::queries::create(c, "doomed", crate::tokens::Role::Viewer, now())?;
            Err(Error::conflict("changed my mind"))
        };
        let results = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(async {
                futures_util::future::join3(db.write(insert("a")), db.write(fail), db.write(insert("b"))).await
            });
        assert!(results.0.is_ok() && results.1.is_err() && results.2.is_ok());
        let names: Vec<String> = {
            let mut c = db.connection().unwrap();
            crate::tokens::queries::list(&mut c)
                .unwrap()
                .into_iter()
                .map(|t| t.name)
                .collect()
        };
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(!names.contains(&"doomed".to_string()));
    }

    fn pragma(db: &Database, name: &str) -> i64 {
        #[derive(QueryableByName)]
        struct Value {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            v: i64,
        }
        let mut c = db.connection().unwrap();
        diesel::sql_query(format!("SELECT {name} AS v FROM pragma_{name}"))
            .get_result::<Value>(&mut c)
            .unwrap()
            .v
    }

    #[test]
    fn sqlite_commits_are_durable_by_default() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(&dir.path().join("t.db").display().to_string(), 2).unwrap();
        // 2 is FULL: a commit survives a power loss, not only a crash of the process.
        assert_eq!(pragma(&db, "synchronous"), 2);
        let relaxed = SqliteTuning {
            synchronous: SqliteSynchronous::Normal,
            cache_kib: 512,
        };
        let db = Database::open_tuned(&dir.path().join("n.db").display().to_string(), 2, relaxed).unwrap();
        assert_eq!((pragma(&db, "synchronous"), pragma(&db, "cache_size")), (1, -512));
    }

    #[test]
    fn backend_follows_the_url_scheme() {
        assert_eq!(Manager::new("postgres://u@h/db").backend, Backend::Postgres);
        assert_eq!(Manager::new("postgresql://u@h/db").backend, Backend::Postgres);
        let m = Manager::new("sqlite://data/x.db");
        assert_eq!((m.backend, m.url.as_str()), (Backend::Sqlite, "data/x.db"));
        assert_eq!(Manager::new("data/roadshow.db").url, "data/roadshow.db");
    }
}
