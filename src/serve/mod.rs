//! `firmdedup serve`: the managers' check where managers work — a page in Russian (`GET /`) and, for a CRM
//! integration, the same JSON object as `check --json` (`GET /api/check`) and the state's last run
//! (`GET /api/health`).
//!
//! It is a thin layer over [`crate::check`]: every answer comes from `check::check` and is serialised by
//! `check::answer_json`, never a second copy. The state is only read. Each request answers inside one SQLite
//! read transaction, so a nightly run committing beneath the server is seen by the next request without a
//! restart, and never half: WAL gives a read transaction one snapshot, the whole old state or the whole new one.
//! Requests are bounded (URI and body size, fields, time, concurrent look-ups), every request is logged on
//! stderr, and SIGTERM or Ctrl-C stop the server once the requests under way are answered.

pub mod page;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query as QueryParams, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::check::{self, Answer, NameIndex, Query, QueryError};
use crate::dict::Dictionaries;
use crate::state::{self, StateError};

/// Longest request target (path and query) accepted, in bytes.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// Longest request body accepted (the service only answers GET).
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// Longest value of one field, in characters.
pub const MAX_FIELD_CHARS: usize = 500;
/// Most firms one answer may list.
pub const MAX_LIMIT: usize = 50;
/// Time a request may take before it is answered 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Look-ups answered at once at most, whatever the machine (more wait their turn).
pub const MAX_CONCURRENT: usize = 16;

/// Look-ups answered at once: two per core, at most [`MAX_CONCURRENT`]. A look-up is work for one core; more at
/// once only share the cores and the memory (on 2 cores, 4 at once answered 8 clients with the same throughput,
/// a lower p99 and 12 MB less memory than 16; BENCHMARKS.md).
pub fn concurrent_lookups() -> usize {
    std::thread::available_parallelism().map_or(4, |n| 2 * n.get()).clamp(2, MAX_CONCURRENT)
}

/// Why the service could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The state cannot be opened for reading.
    #[error(transparent)]
    State(#[from] StateError),
    /// The address cannot be listened on.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// Serving failed.
    #[error("serving: {0}")]
    Io(#[from] std::io::Error),
}

/// What the service needs.
pub struct Options {
    /// The state file.
    pub state: PathBuf,
    /// Where to listen.
    pub listen: SocketAddr,
    /// Fixed date for idle days (tests); `None`: today at each request.
    pub today: Option<NaiveDate>,
}

/// Shared by all requests.
struct App {
    path: PathBuf,
    dict: Dictionaries,
    today: Option<NaiveDate>,
    /// Idle read-only connections, reused so their prepared statements and page cache stay warm.
    idle: Mutex<Vec<Connection>>,
    permits: Arc<tokio::sync::Semaphore>,
    /// Look-ups answered at once ([`concurrent_lookups`]): the permits, and the idle connections kept.
    lookups: usize,
    /// The names of the state's last run, in memory.
    names: Arc<Names>,
}

/// The name index of the state's last run ([`NameIndex`]), read on a thread of its own when the server starts
/// and again when a nightly run has landed. Until it is read, questions read their names from the state, with
/// the same answers, only slower; an index of an earlier run is never used (its firm ids may be gone).
struct Names {
    path: PathBuf,
    current: RwLock<Option<Arc<NameIndex>>>,
    /// The run being read, or the last run whose reading failed (not tried again); 0: none.
    reading: Mutex<i64>,
}

impl Names {
    /// The index for the state's run `run` (the last run seen by the question's transaction), or None while it
    /// is being read; starts reading it when it is not.
    fn for_run(self: &Arc<Self>, run: i64) -> Option<Arc<NameIndex>> {
        if let Ok(cur) = self.current.read()
            && let Some(ix) = cur.as_ref()
            && ix.run() == run
        {
            return Some(Arc::clone(ix));
        }
        let Ok(mut reading) = self.reading.lock() else { return None };
        // Runs only grow: a question whose transaction began before the last run landed answers from the file,
        // and neither frees a newer index nor reads again.
        let newer = self.current.read().ok().and_then(|c| c.as_ref().map(|ix| ix.run())).unwrap_or(0);
        if *reading >= run || newer > run {
            return None;
        }
        *reading = run;
        // The old index is of no more use: free it before reading the new one (one index in memory at a time).
        if let Ok(mut cur) = self.current.write() {
            *cur = None;
        }
        let names = Arc::clone(self);
        let spawned = std::thread::Builder::new().name("name-index".into()).spawn(move || names.read());
        if spawned.is_err() {
            *reading = 0;
        }
        None
    }

    fn read(&self) {
        let started = Instant::now();
        let read = open(&self.path).map_err(|e| e.to_string()).and_then(|conn| {
            conn.execute_batch("BEGIN DEFERRED").map_err(|e| e.to_string())?;
            let ix = NameIndex::read(&conn).map_err(|e| e.to_string());
            let _ = conn.execute_batch("COMMIT");
            ix
        });
        match read {
            Ok(ix) => {
                eprintln!(
                    "firmdedup serve: names of run {} in memory ({} firms, {} MB, read in {:.1} s)",
                    ix.run(),
                    ix.firms(),
                    ix.heap_bytes() / (1 << 20),
                    started.elapsed().as_secs_f64()
                );
                if let Ok(mut cur) = self.current.write() {
                    *cur = Some(Arc::new(ix));
                }
            }
            // Questions go on reading names from the state; the next run tries again.
            Err(e) => eprintln!(
                "firmdedup serve: warning: could not hold the names of {} in memory ({e}); answering from the file",
                self.path.display()
            ),
        }
    }
}

/// What a request failed on: a status code and a message for `{"error": …}`.
#[derive(Debug)]
struct Failure {
    status: StatusCode,
    message: String,
}

impl Failure {
    fn bad(message: impl Into<String>) -> Self {
        Failure { status: StatusCode::BAD_REQUEST, message: message.into() }
    }
    fn internal(message: impl Into<String>) -> Self {
        Failure { status: StatusCode::INTERNAL_SERVER_ERROR, message: message.into() }
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        #[derive(Serialize)]
        struct Body<'a> {
            error: &'a str,
        }
        let body = serde_json::to_string(&Body { error: &self.message }).unwrap_or_default();
        (self.status, [(header::CONTENT_TYPE, "application/json; charset=utf-8")], body).into_response()
    }
}

impl App {
    fn today(&self) -> NaiveDate {
        self.today.unwrap_or_else(|| chrono::Local::now().date_naive())
    }

    /// Runs `f` on a read-only connection inside one read transaction (one snapshot of the state), on a
    /// blocking thread.
    async fn read<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&App, &Connection) -> Result<T, Failure> + Send + 'static,
    ) -> Result<T, Failure> {
        // The permit travels with the blocking work: a request given up by the timeout still holds it until its
        // look-up ends, so abandoned look-ups cannot pile up.
        let permit = Arc::clone(&self.permits).acquire_owned().await.map_err(|_| Failure::internal("shutting down"))?;
        let app = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let pooled = app.idle.lock().ok().and_then(|mut v| v.pop());
            let conn = match pooled {
                Some(c) => c,
                None => open(&app.path).map_err(|e| Failure::internal(e.to_string()))?,
            };
            // Cached statements: parsing BEGIN and COMMIT again at every request is measurable at this rate.
            conn.prepare_cached("BEGIN DEFERRED")
                .and_then(|mut st| st.execute([]))
                .map_err(|e| Failure::internal(format!("reading {}: {e}", app.path.display())))?;
            let out = f(&app, &conn);
            let ended = conn.prepare_cached("COMMIT").and_then(|mut st| st.execute([]));
            if ended.is_ok()
                && let Ok(mut v) = app.idle.lock()
                && v.len() < app.lookups
            {
                v.push(conn);
            }
            out
        })
        .await
        .map_err(|e| Failure::internal(format!("look-up failed: {e}")))?
    }
}

/// Opens the state read-only; `query_only` makes any write an error even if the file were opened otherwise.
fn open(path: &Path) -> Result<Connection, StateError> {
    let conn = state::open_read_only(path)?;
    conn.pragma_update(None, "query_only", true).map_err(state::map_err(path))?;
    // With the names in memory a question reads a few dozen pages of the file (keys, the listed firms); the OS
    // keeps the file's pages, so each of the pooled connections keeps 1 MB, not SQLite's 2 MB.
    conn.pragma_update(None, "cache_size", -1024).map_err(state::map_err(path))?;
    // The same plan whatever value is bound: without it SQLite re-prepares a cached statement after each use
    // (rusqlite clears the bindings of a statement it caches, which expires one whose plan looked at them).
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true).map_err(state::map_err(path))?;
    Ok(conn)
}

/// The parameters of `/api/check` (and the optional fields of the page). Unknown parameters are refused, so a
/// misspelt one does not silently ask a different question.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckParams {
    /// Company name.
    pub name: Option<String>,
    /// ИНН or ОГРН.
    pub inn: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Website.
    pub website: Option<String>,
    /// Brand.
    pub brand: Option<String>,
    /// Decision-maker.
    pub contact: Option<String>,
    /// The asking manager's login.
    pub manager: Option<String>,
    /// How many firms to list (default 5, at most [`MAX_LIMIT`]).
    pub limit: Option<String>,
}

impl CheckParams {
    /// The question, or why it cannot be asked.
    pub fn query(&self) -> Result<(Query, usize), String> {
        let field = |label: &str, v: &Option<String>| -> Result<Option<String>, String> {
            match v.as_deref().map(str::trim) {
                None | Some("") => Ok(None),
                Some(s) if s.chars().count() > MAX_FIELD_CHARS => {
                    Err(format!("{label}: longer than {MAX_FIELD_CHARS} characters"))
                }
                Some(s) => Ok(Some(s.to_string())),
            }
        };
        let limit = match self.limit.as_deref().map(str::trim) {
            None | Some("") => 5,
            Some(s) => match s.parse::<usize>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => return Err(format!("limit {s:?}: expected a whole number from 1 to {MAX_LIMIT}")),
            },
        };
        let q = Query {
            name: field("name", &self.name)?,
            inn: field("inn", &self.inn)?,
            phone: field("phone", &self.phone)?,
            email: field("email", &self.email)?,
            website: field("website", &self.website)?,
            brand: field("brand", &self.brand)?,
            contact: field("contact", &self.contact)?,
            manager: field("manager", &self.manager)?,
        };
        Ok((q, limit))
    }
}

/// Asks `check::check`, telling a bad question (400) from a failure to read the state (500).
fn ask(app: &App, conn: &Connection, q: &Query, limit: usize) -> Result<Answer, Failure> {
    let run =
        check::names::last_run(conn).map_err(|e| Failure::internal(format!("reading {}: {e}", app.path.display())))?;
    let answer = match app.names.for_run(run) {
        Some(ix) => check::check_with(conn, ix.as_ref(), &app.dict, q, app.today(), limit, check::Lang::Ru),
        None => check::check(conn, &app.dict, q, app.today(), limit),
    };
    answer.map_err(|e| match e.downcast::<QueryError>() {
        Ok(qe) => Failure::bad(qe.to_string()),
        Err(other) => Failure::internal(format!("reading {}: {other}", app.path.display())),
    })
}

async fn api_check(
    State(app): State<Arc<App>>,
    params: Result<QueryParams<CheckParams>, QueryRejection>,
) -> Result<Response, Failure> {
    let QueryParams(params) = params.map_err(|e| Failure::bad(e.body_text()))?;
    let (q, limit) = params.query().map_err(Failure::bad)?;
    let answer = app.read(move |app, conn| ask(app, conn, &q, limit)).await?;
    Ok(([(header::CONTENT_TYPE, "application/json; charset=utf-8")], check::answer_json(&answer)).into_response())
}

/// The last run of the state, for `/api/health`.
#[derive(Debug, Serialize)]
struct LastRun {
    run_id: i64,
    started_at: String,
    finished_at: String,
    outcome: String,
    cards: i64,
    legal_entities: i64,
    firms: i64,
}

#[derive(Debug, Serialize)]
struct Health {
    status: &'static str,
    /// The last run whose state is served (outcome ok).
    last_run: Option<LastRun>,
    /// The last run attempted, when it was not ok (refused or failed: the previous state is still served).
    last_attempt: Option<LastRun>,
}

fn last_run(conn: &Connection, only_ok: bool) -> rusqlite::Result<Option<LastRun>> {
    let sql = if only_ok {
        "SELECT run_id, started_at, finished_at, outcome, cards_accepted, legal_entities, firms FROM runs WHERE outcome = 'ok' ORDER BY run_id DESC LIMIT 1"
    } else {
        "SELECT run_id, started_at, finished_at, outcome, cards_accepted, legal_entities, firms FROM runs ORDER BY run_id DESC LIMIT 1"
    };
    conn.query_row(sql, [], |r| {
        Ok(LastRun {
            run_id: r.get(0)?,
            started_at: r.get(1)?,
            finished_at: r.get(2)?,
            outcome: r.get(3)?,
            cards: r.get(4)?,
            legal_entities: r.get(5)?,
            firms: r.get(6)?,
        })
    })
    .optional()
}

async fn api_health(State(app): State<Arc<App>>) -> Result<Response, Failure> {
    let health = app
        .read(|app, conn| {
            let err = |e: rusqlite::Error| Failure::internal(format!("reading {}: {e}", app.path.display()));
            let ok = last_run(conn, true).map_err(err)?;
            let any = last_run(conn, false).map_err(err)?;
            let last_attempt = any.filter(|a| ok.as_ref().is_none_or(|o| o.run_id != a.run_id));
            Ok(Health { status: "ok", last_run: ok, last_attempt })
        })
        .await?;
    let body = serde_json::to_string_pretty(&health).unwrap_or_default() + "\n";
    Ok(([(header::CONTENT_TYPE, "application/json; charset=utf-8")], body).into_response())
}

/// The page's parameters: the one search field, the optional fields, and who asks.
#[derive(Debug, Default, Deserialize)]
struct PageParams {
    q: Option<String>,
    name: Option<String>,
    inn: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    website: Option<String>,
    brand: Option<String>,
    contact: Option<String>,
    me: Option<String>,
}

/// The cookie remembering "кто я" in the manager's browser.
const ME_COOKIE: &str = "firmdedup_me";

async fn page_handler(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    params: Result<QueryParams<PageParams>, QueryRejection>,
) -> Response {
    let p = params.map(|QueryParams(p)| p).unwrap_or_default();
    let cookie_me = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().strip_prefix(ME_COOKIE).and_then(|r| r.strip_prefix('=')))
        .map(page::percent_decode)
        .next();
    // "кто я" given in the form wins (and is remembered); otherwise the remembered one.
    let me = match &p.me {
        Some(m) => m.trim().to_string(),
        None => cookie_me.clone().unwrap_or_default(),
    };
    let form = page::Form {
        q: p.q.clone().unwrap_or_default(),
        name: p.name.clone().unwrap_or_default(),
        inn: p.inn.clone().unwrap_or_default(),
        phone: p.phone.clone().unwrap_or_default(),
        email: p.email.clone().unwrap_or_default(),
        website: p.website.clone().unwrap_or_default(),
        brand: p.brand.clone().unwrap_or_default(),
        contact: p.contact.clone().unwrap_or_default(),
        me: me.clone(),
    };
    let outcome = match form.params() {
        None => page::Outcome::Nothing,
        Some(params) => match params.query() {
            Err(e) => page::Outcome::Error(e),
            Ok((q, limit)) => {
                let me2 = me.clone();
                let res = app
                    .read(move |app, conn| {
                        let answer = ask(app, conn, &q, limit)?;
                        let extra = page::Extra::read(conn, &answer, &me2, app.today())
                            .map_err(|e| Failure::internal(format!("reading {}: {e}", app.path.display())))?;
                        Ok((answer, extra))
                    })
                    .await;
                match res {
                    Ok((a, extra)) => page::Outcome::Answer(Box::new(a), extra),
                    Err(f) if f.status == StatusCode::BAD_REQUEST => page::Outcome::Error(f.message),
                    Err(f) => page::Outcome::Failure(f.message),
                }
            }
        },
    };
    let status = match &outcome {
        page::Outcome::Error(_) => StatusCode::BAD_REQUEST,
        page::Outcome::Failure(_) => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::OK,
    };
    let nonce = format!("{:032x}", rand::random::<u128>());
    let html = page::render(&form, &outcome, &nonce);
    let mut resp = (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    let csp = format!(
        "default-src 'none'; style-src 'nonce-{nonce}'; img-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    );
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    if p.me.is_some() && cookie_me.as_deref() != Some(me.as_str()) {
        let cookie = if me.is_empty() {
            format!("{ME_COOKIE}=; Path=/; Max-Age=0; SameSite=Strict; HttpOnly")
        } else {
            format!("{ME_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Strict; HttpOnly", page::percent_encode(&me))
        };
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            h.insert(header::SET_COOKIE, v);
        }
    }
    resp
}

async fn not_found() -> Failure {
    Failure { status: StatusCode::NOT_FOUND, message: "no such page: see / and /api/check, /api/health".into() }
}

/// Refuses over-long request targets, adds the headers every answer carries, and logs one line per request.
async fn guard_and_log(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    // The path only: the query carries what managers asked about clients, which a log need not keep.
    let path = req.uri().path().to_string();
    let mut resp = if req.uri().to_string().len() > MAX_URI_BYTES {
        Failure { status: StatusCode::URI_TOO_LONG, message: format!("request longer than {MAX_URI_BYTES} bytes") }
            .into_response()
    } else if method != axum::http::Method::GET && method != axum::http::Method::HEAD {
        Failure { status: StatusCode::METHOD_NOT_ALLOWED, message: "only GET is served".into() }.into_response()
    } else {
        let resp = next.run(req).await;
        // The limits' own answers carry no body: give them the service's JSON error.
        match resp.status() {
            StatusCode::REQUEST_TIMEOUT => Failure {
                status: StatusCode::REQUEST_TIMEOUT,
                message: format!("no answer within {} s", REQUEST_TIMEOUT.as_secs()),
            }
            .into_response(),
            StatusCode::PAYLOAD_TOO_LARGE => Failure {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                message: format!("request body longer than {MAX_BODY_BYTES} bytes"),
            }
            .into_response(),
            _ => resp,
        }
    };
    let h = resp.headers_mut();
    h.entry(header::CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static("default-src 'none'"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // One write a line: stderr is unbuffered, and `eprintln!` would write each piece of the line apart.
    let line = format!(
        "{} {} {} {} {:.1}ms\n",
        chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ"),
        method,
        path,
        resp.status().as_u16(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    eprint!("{line}");
    resp
}

/// The service's routes over a state.
fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(page_handler))
        .route("/api/check", get(api_check))
        .route("/api/health", get(api_health))
        .fallback(not_found)
        .with_state(app)
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(middleware::from_fn(guard_and_log))
}

/// Serves until SIGTERM or Ctrl-C. Prints `listening on http://ADDR` on stderr once bound (with port 0, the port
/// chosen), and a warning when the address is not loopback.
pub fn serve(opts: Options, dict: Dictionaries) -> Result<(), ServeError> {
    // Refuse a missing, foreign or newer state before listening.
    let first = open(&opts.state)?;
    let lookups = concurrent_lookups();
    let app = Arc::new(App {
        path: opts.state.clone(),
        dict,
        today: opts.today,
        idle: Mutex::new(vec![first]),
        permits: Arc::new(tokio::sync::Semaphore::new(lookups)),
        lookups,
        names: Arc::new(Names { path: opts.state.clone(), current: RwLock::new(None), reading: Mutex::new(0) }),
    });
    // Start reading the names now, not at the first question.
    if let Ok(conn) = open(&opts.state)
        && let Ok(run) = check::names::last_run(&conn)
    {
        app.names.for_run(run);
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(opts.listen)
            .await
            .map_err(|source| ServeError::Bind { addr: opts.listen, source })?;
        let addr = listener.local_addr()?;
        if !addr.ip().is_loopback() {
            eprintln!(
                "firmdedup serve: warning: listening on {addr}, not loopback: anyone who reaches this address can \
                 look up the client base (no login); put it behind the company's proxy"
            );
        }
        eprintln!("firmdedup serve: listening on http://{addr} (state {})", opts.state.display());
        let names = Arc::clone(&app.names);
        axum::serve(listener, router(app)).with_graceful_shutdown(shutdown_signal()).await?;
        match names.current.read().ok().and_then(|c| c.as_ref().map(|ix| ix.memo_bytes())) {
            Some(kept) => eprintln!(
                "firmdedup serve: stopped (card names normalised and kept: {} of {} MB)",
                kept >> 20,
                check::names::MEMO_BUDGET >> 20
            ),
            None => eprintln!("firmdedup serve: stopped"),
        }
        Ok(())
    })
}

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
        () = ctrl_c => {},
        () = term => {},
    }
    eprintln!("firmdedup serve: stopping (answering the requests under way)");
}
