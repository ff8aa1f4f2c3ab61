//! The state of nightly runs: a SQLite database holding the last run's cards, legal entities and firms with their
//! stable ids, the id lineage, the administrator's overrides, the run log, and the key index the managers' check
//! answers from.
//!
//! Safety: a writer holds an exclusive lock on `<state>.lock` (a second run refuses instead of waiting), and a
//! run replaces the state in one transaction (WAL mode), so a run killed at any moment leaves the previous state
//! intact and readers always see a whole state, old or new. A file that is not a firmdedup state (another
//! SQLite database, a corrupt or foreign file, or a newer schema) is refused and never written.

pub mod changes;
pub mod history;
pub mod ids;
pub mod nightly;
pub mod overrides;
pub mod snapshot;

use std::fs::File;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use rustc_hash::FxHashMap;
use serde::Serialize;

/// `PRAGMA application_id` of a firmdedup state ("FDDP").
pub const APPLICATION_ID: i64 = 0x4644_4450;
/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = 4;

/// Why a state cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// Another process holds the lock.
    #[error("{0}: another firmdedup run is using this state; try again when it has finished")]
    Locked(PathBuf),
    /// Not a SQLite database, or damaged.
    #[error(
        "{path}: not a usable firmdedup state ({detail}); it was left untouched — restore it from a backup or choose another --state path"
    )]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What SQLite said.
        detail: String,
    },
    /// A SQLite database of some other program.
    #[error("{0}: this SQLite database is not a firmdedup state; it was left untouched — choose another --state path")]
    Foreign(PathBuf),
    /// Written by a newer firmdedup.
    #[error(
        "{path}: state schema version {found} is newer than this firmdedup understands ({SCHEMA_VERSION}); upgrade firmdedup"
    )]
    Newer {
        /// The file.
        path: PathBuf,
        /// Its version.
        found: i64,
    },
    /// The state does not exist (for commands that only read it).
    #[error("{0}: no such state; only `firmdedup dedup INPUT --state {0} --out DIR` creates one (check the path)")]
    Missing(PathBuf),
    /// The state exists but no run has finished into it (the first run was killed or refused): it knows no
    /// firm, so any answer from it would say "free to claim".
    #[error(
        "{0}: this state holds no finished run (the first run was interrupted or refused); run `firmdedup dedup INPUT --state {0} --out DIR` to completion first"
    )]
    NoRun(PathBuf),
    /// Other SQLite errors.
    #[error("{path}: {source}")]
    Sqlite {
        /// The file.
        path: PathBuf,
        /// The error.
        source: rusqlite::Error,
    },
    /// File-system errors (the lock file).
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// How long `override` waits for another writer to finish before refusing.
pub const OVERRIDE_LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(15);

/// An open state, locked for writing.
pub struct State {
    path: PathBuf,
    /// The connection.
    pub conn: Connection,
    _lock: File,
}

pub(crate) const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    input TEXT NOT NULL,
    cards_read INTEGER NOT NULL,
    cards_accepted INTEGER NOT NULL,
    cards_rejected INTEGER NOT NULL,
    legal_entities INTEGER NOT NULL,
    firms INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    message TEXT NOT NULL DEFAULT '',
    changes TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS counters (kind TEXT PRIMARY KEY, next INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS lineage (
    old_id TEXT PRIMARY KEY,
    fate TEXT NOT NULL CHECK (fate IN ('merged', 'retired')),
    into_id TEXT,
    run_id INTEGER NOT NULL,
    at TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS overrides (
    override_id INTEGER PRIMARY KEY AUTOINCREMENT,
    action TEXT NOT NULL CHECK (action IN ('link', 'split')),
    level TEXT NOT NULL CHECK (level IN ('entity', 'firm')),
    a TEXT NOT NULL,
    b TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    removed_by TEXT,
    removed_at TEXT
);
"#;

/// The tables rebuilt by every run.
pub const SNAPSHOT_SCHEMA: &str = r#"
DROP TABLE IF EXISTS cards;
DROP TABLE IF EXISTS entities;
DROP TABLE IF EXISTS firms;
DROP TABLE IF EXISTS keys;
DROP TABLE IF EXISTS name_words;
DROP TABLE IF EXISTS word_variants;
DROP TABLE IF EXISTS name_word_ends;
CREATE TABLE cards (
    card_id TEXT PRIMARY KEY, entity_id TEXT NOT NULL, firm_id TEXT NOT NULL,
    name TEXT NOT NULL, legal_form TEXT NOT NULL,
    inn TEXT NOT NULL, kpp TEXT NOT NULL, ogrn TEXT NOT NULL,
    phones TEXT NOT NULL, emails TEXT NOT NULL, contacts TEXT NOT NULL,
    brand TEXT NOT NULL, address TEXT NOT NULL, manager TEXT NOT NULL, last_activity TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE entities (
    entity_id TEXT PRIMARY KEY, firm_id TEXT NOT NULL, name TEXT NOT NULL, legal_form TEXT NOT NULL,
    inns TEXT NOT NULL, kpps TEXT NOT NULL, ogrns TEXT NOT NULL, brands TEXT NOT NULL, cards INTEGER NOT NULL,
    managers TEXT NOT NULL, last_activity TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE firms (
    firm_id TEXT PRIMARY KEY, name TEXT NOT NULL, legal_entities INTEGER NOT NULL, entity_names TEXT NOT NULL,
    inns TEXT NOT NULL, kpps TEXT NOT NULL, brands TEXT NOT NULL, phones TEXT NOT NULL, domains TEXT NOT NULL,
    decision_makers TEXT NOT NULL, cards INTEGER NOT NULL, managers TEXT NOT NULL, last_activity TEXT NOT NULL,
    owner TEXT NOT NULL DEFAULT '', owner_last_activity TEXT NOT NULL DEFAULT '', status TEXT NOT NULL DEFAULT '',
    conflict INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE keys (
    kind INTEGER NOT NULL, value TEXT NOT NULL, card_id TEXT NOT NULL,
    PRIMARY KEY (kind, value, card_id)
) WITHOUT ROWID;
CREATE TABLE name_words (word TEXT PRIMARY KEY, firms INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE name_word_ends (rev TEXT PRIMARY KEY) WITHOUT ROWID;
"#;

/// Indexes of the rebuilt tables, created after their rows are in: those a reader or the nightly run searches by.
/// The key index needs none: its primary key (the whole row, WITHOUT ROWID) is the look-up's order (since
/// version 3; version 2 kept it as a rowid table with an index `keys_by_value` beside, which readers still
/// understand). Cards are read by card id (their key) and by firm, never by legal entity (version 2 also had
/// `cards_by_entity`).
pub const SNAPSHOT_INDEXES: &str = r#"
CREATE INDEX cards_by_firm ON cards(firm_id);
CREATE INDEX entities_by_firm ON entities(firm_id);
CREATE INDEX firms_by_owner ON firms(owner);
"#;

/// Version 3: the key index and the word variants rebuilt as WITHOUT ROWID tables keyed by their whole row (the
/// look-up's order), copied row by row from the version-2 tables (never emptied: a run that fails after the
/// migration must still find every held firm), their rowid and secondary index dropped. A duplicate row (which
/// no run writes) is kept once. The content is unchanged, so `meta.snapshot_digests` (digests of the rows a run
/// wrote) still describes the tables. The index of cards by legal entity, which nothing searches by, is dropped.
const MIGRATE_3: &str = r#"
CREATE TABLE keys_v3 (
    kind TEXT NOT NULL, value TEXT NOT NULL, firm_id TEXT NOT NULL, card_id TEXT NOT NULL,
    PRIMARY KEY (kind, value, firm_id, card_id)
) WITHOUT ROWID;
INSERT INTO keys_v3 (kind, value, firm_id, card_id)
    SELECT DISTINCT kind, value, firm_id, card_id FROM keys ORDER BY kind, value, firm_id, card_id;
DROP TABLE keys;
ALTER TABLE keys_v3 RENAME TO keys;
CREATE TABLE word_variants_v3 (variant TEXT NOT NULL, word TEXT NOT NULL, PRIMARY KEY (variant, word)) WITHOUT ROWID;
INSERT INTO word_variants_v3 (variant, word)
    SELECT DISTINCT variant, word FROM word_variants ORDER BY variant, word;
DROP TABLE word_variants;
ALTER TABLE word_variants_v3 RENAME TO word_variants;
DROP INDEX IF EXISTS cards_by_entity;
"#;

/// Version 4, a smaller state (1M cards: 643 → 498 MB): the key index keeps each firm's (kind, value) once with
/// its first card as before, but the kind as a code (`key_kinds` names them) and without the firm, which is the
/// card's (`cards.firm_id`); the cards lose the columns made from others (`name_norm`, `domains`: cards.csv has
/// them); the word variants are no longer stored: the look-up finds a word one letter longer than a variant by its
/// beginning in `name_words` or its end in `name_word_ends` (the words backwards, filled after these statements). Rows copied, never
/// emptied (a run that fails after the migration must still find every held firm); the stored digests of the
/// last run's tables are dropped, since the rows are no longer the ones they describe (the next run compares the
/// tables themselves).
const MIGRATE_4: &str = r#"
CREATE TABLE cards_v4 (
    card_id TEXT PRIMARY KEY, entity_id TEXT NOT NULL, firm_id TEXT NOT NULL,
    name TEXT NOT NULL, legal_form TEXT NOT NULL,
    inn TEXT NOT NULL, kpp TEXT NOT NULL, ogrn TEXT NOT NULL,
    phones TEXT NOT NULL, emails TEXT NOT NULL, contacts TEXT NOT NULL,
    brand TEXT NOT NULL, address TEXT NOT NULL, manager TEXT NOT NULL, last_activity TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO cards_v4 (card_id, entity_id, firm_id, name, legal_form, inn, kpp, ogrn, phones, emails, contacts,
        brand, address, manager, last_activity)
    SELECT card_id, entity_id, firm_id, name, legal_form, inn, kpp, ogrn, phones, emails, contacts,
        brand, address, manager, last_activity FROM cards ORDER BY card_id;
DROP TABLE cards;
ALTER TABLE cards_v4 RENAME TO cards;
CREATE INDEX IF NOT EXISTS cards_by_firm ON cards(firm_id);
CREATE TABLE keys_v4 (
    kind INTEGER NOT NULL, value TEXT NOT NULL, card_id TEXT NOT NULL,
    PRIMARY KEY (kind, value, card_id)
) WITHOUT ROWID;
INSERT OR IGNORE INTO keys_v4 (kind, value, card_id)
    SELECT k.kind, keys.value, keys.card_id FROM keys JOIN key_kinds k ON k.name = keys.kind
    ORDER BY 1, 2, 3;
DROP TABLE keys;
ALTER TABLE keys_v4 RENAME TO keys;
DROP TABLE IF EXISTS word_variants;
CREATE TABLE IF NOT EXISTS name_word_ends (rev TEXT PRIMARY KEY) WITHOUT ROWID;
DELETE FROM meta WHERE key = 'snapshot_digests';
"#;

fn sql_err(path: &Path) -> impl Fn(rusqlite::Error) -> StateError + '_ {
    move |e| {
        let detail = e.to_string();
        if detail.contains("not a database") || detail.contains("malformed") || detail.contains("corrupt") {
            StateError::Corrupt { path: path.to_path_buf(), detail }
        } else {
            StateError::Sqlite { path: path.to_path_buf(), source: e }
        }
    }
}

fn lock_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".lock");
    PathBuf::from(s)
}

/// Checks that an open database is a firmdedup state (or empty), of a version we understand. With `verify`, also
/// runs SQLite's `quick_check` over the whole file (linear in its size: the nightly job does it before it writes;
/// a look-up does not, and SQLite still refuses any malformed page it reads).
fn check_identity(conn: &Connection, path: &Path, verify: bool) -> Result<bool, StateError> {
    let err = sql_err(path);
    // Reading the schema fails on a file that is not SQLite.
    let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0)).map_err(&err)?;
    let app: i64 = conn.query_row("PRAGMA application_id", [], |r| r.get(0)).map_err(&err)?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(&err)?;
    if tables == 0 && app == 0 {
        return Ok(false);
    }
    if app != APPLICATION_ID {
        return Err(StateError::Foreign(path.to_path_buf()));
    }
    if version > SCHEMA_VERSION {
        return Err(StateError::Newer { path: path.to_path_buf(), found: version });
    }
    if !verify {
        return Ok(true);
    }
    let ok: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0)).map_err(&err)?;
    if ok != "ok" {
        return Err(StateError::Corrupt { path: path.to_path_buf(), detail: ok });
    }
    Ok(true)
}

/// Applies migrations from `from` up to [`SCHEMA_VERSION`].
fn migrate(conn: &Connection, from: i64, path: &Path) -> Result<(), StateError> {
    let err = sql_err(path);
    if from < 1 {
        conn.execute_batch(SCHEMA).map_err(&err)?;
        conn.execute_batch(SNAPSHOT_SCHEMA).map_err(&err)?;
        conn.execute_batch(SNAPSHOT_INDEXES).map_err(&err)?;
        conn.pragma_update(None, "application_id", APPLICATION_ID).map_err(&err)?;
        conn.pragma_update(None, "user_version", 1).map_err(&err)?;
        conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('created_at', ?1)", [now()]).map_err(&err)?;
        conn.execute("INSERT OR IGNORE INTO counters(kind, next) VALUES ('entity', 1), ('firm', 1)", [])
            .map_err(&err)?;
    }
    if from < 2 {
        // Version 2: managers' figures per run, and the cards that left the export with the ids they had (a
        // card that comes back gets them back).
        conn.execute_batch(history::SCHEMA).map_err(&err)?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS departed (card_id TEXT PRIMARY KEY, entity_id TEXT NOT NULL, firm_id TEXT NOT NULL, run_id INTEGER NOT NULL) WITHOUT ROWID;",
        )
        .map_err(&err)?;
        conn.pragma_update(None, "user_version", 2).map_err(&err)?;
    }
    if from < 3 {
        // A state created just above has the version-3 tables already.
        if from >= 1 {
            conn.execute_batch(MIGRATE_3).map_err(&err)?;
        }
        conn.pragma_update(None, "user_version", 3).map_err(&err)?;
    }
    if from < 4 {
        // The names of the key index's kind codes, for the sqlite3 shell (the codes never change).
        conn.execute_batch("CREATE TABLE IF NOT EXISTS key_kinds (kind INTEGER PRIMARY KEY, name TEXT NOT NULL);")
            .map_err(&err)?;
        let mut st = conn.prepare("INSERT OR REPLACE INTO key_kinds(kind, name) VALUES (?1, ?2)").map_err(&err)?;
        for k in crate::matching::keys::KeyKind::ALL {
            st.execute(params![k.code(), k.name()]).map_err(&err)?;
        }
        drop(st);
        // A state created just above has the version-4 tables already.
        if from >= 1 {
            conn.execute_batch(MIGRATE_4).map_err(&err)?;
            let mut ends: Vec<String> = conn
                .prepare("SELECT word FROM name_words")
                .and_then(|mut st| st.query_map([], |r| r.get::<_, String>(0))?.collect())
                .map_err(&err)?;
            for e in &mut ends {
                *e = snapshot::name_word_end(e);
            }
            ends.sort_unstable();
            let mut st = conn.prepare("INSERT OR IGNORE INTO name_word_ends(rev) VALUES (?1)").map_err(&err)?;
            for e in &ends {
                st.execute([e]).map_err(&err)?;
            }
        }
        conn.pragma_update(None, "user_version", 4).map_err(&err)?;
    }
    // Future versions: `if from < 5 { ... }`, each step in the same transaction as the version bump.
    Ok(())
}

/// The time now, ISO 8601 in UTC.
pub fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Takes the writer's lock, waiting up to `wait` for another writer to finish.
fn take_lock(path: &Path, wait: std::time::Duration) -> Result<File, StateError> {
    let lock_file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(lock_path(path))
        .map_err(|source| StateError::Io { path: lock_path(path), source })?;
    let deadline = std::time::Instant::now() + wait;
    loop {
        match lock_file.try_lock() {
            Ok(()) => return Ok(lock_file),
            Err(std::fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(25));
            }
            Err(std::fs::TryLockError::WouldBlock) => return Err(StateError::Locked(path.to_path_buf())),
            Err(std::fs::TryLockError::Error(source)) => return Err(StateError::Io { path: lock_path(path), source }),
        }
    }
}

/// True when the state has a finished (`ok`) run.
fn has_finished_run(conn: &Connection, path: &Path) -> Result<bool, StateError> {
    let err = sql_err(path);
    let runs: Option<i64> =
        conn.query_row("SELECT 1 FROM runs WHERE outcome = 'ok' LIMIT 1", [], |r| r.get(0)).optional().map_err(&err)?;
    Ok(runs.is_some())
}

impl State {
    /// Opens (or creates) a state for writing: takes the lock (refusing at once when another run holds it),
    /// checks the file, applies migrations. Only the nightly run (`dedup --state`) creates a state.
    pub fn open(path: &Path) -> Result<State, StateError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
            std::fs::create_dir_all(dir).map_err(|source| StateError::Io { path: dir.to_path_buf(), source })?;
        }
        let lock_file = take_lock(path, std::time::Duration::ZERO)?;
        Self::open_locked(path, lock_file)
    }

    /// Opens an existing state for writing (the administrator's `override`): refuses a missing file or one
    /// with no finished run instead of creating it, and waits up to `wait` for another writer.
    pub fn open_existing(path: &Path, wait: std::time::Duration) -> Result<State, StateError> {
        if !path.is_file() {
            return Err(StateError::Missing(path.to_path_buf()));
        }
        let lock_file = take_lock(path, wait)?;
        let st = Self::open_locked(path, lock_file)?;
        if !has_finished_run(&st.conn, path)? {
            return Err(StateError::NoRun(path.to_path_buf()));
        }
        Ok(st)
    }

    fn open_locked(path: &Path, lock_file: File) -> Result<State, StateError> {
        let err = sql_err(path);
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(&err)?;
        conn.busy_timeout(std::time::Duration::from_secs(30)).map_err(&err)?;
        let exists = check_identity(&conn, path, true)?;
        // WAL lets readers (`check`, `serve`) go on while a nightly run writes. A new state has no reader (none
        // can use it before its first run is committed), and its first run writes every page: through a WAL each
        // page would be written twice (the log, then the checkpoint), while a rollback journal of a new file holds
        // next to nothing. The state is left in rollback mode at rest anyway (`Drop`).
        if exists {
            conn.pragma_update(None, "journal_mode", "WAL").map_err(&err)?;
        }
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(&err)?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(&err)?;
        if !exists || version < SCHEMA_VERSION {
            let tx = conn.unchecked_transaction().map_err(&err)?;
            migrate(&conn, if exists { version } else { 0 }, path)?;
            tx.commit().map_err(&err)?;
        }
        Ok(State { path: path.to_path_buf(), conn, _lock: lock_file })
    }

    /// The state's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> StateError + '_ {
        sql_err(&self.path)
    }

    /// What the last successful run left.
    pub fn previous(&self) -> Result<Previous, StateError> {
        let err = self.err();
        let mut stmt = self.conn.prepare("SELECT card_id, entity_id, firm_id FROM cards").map_err(&err)?;
        let mut cards: FxHashMap<String, (String, String)> = FxHashMap::default();
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))
            .map_err(&err)?;
        for row in rows {
            let (c, e, f) = row.map_err(&err)?;
            cards.insert(c, (e, f));
        }
        let counter = |kind: &str| -> Result<u64, StateError> {
            self.conn
                .query_row("SELECT next FROM counters WHERE kind = ?1", [kind], |r| r.get::<_, i64>(0))
                .optional()
                .map_err(&err)
                .map(|v| v.unwrap_or(1).max(1) as u64)
        };
        let last = self
            .conn
            .query_row(
                "SELECT run_id, cards_accepted FROM runs WHERE outcome = 'ok' ORDER BY run_id DESC LIMIT 1",
                [],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
            )
            .optional()
            .map_err(&err)?;
        let mut departed: FxHashMap<String, (String, String)> = FxHashMap::default();
        let mut stmt = self.conn.prepare("SELECT card_id, entity_id, firm_id FROM departed").map_err(&err)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))
            .map_err(&err)?;
        for row in rows {
            let (c, e, f) = row.map_err(&err)?;
            departed.insert(c, (e, f));
        }
        Ok(Previous {
            cards,
            departed,
            next_entity: counter("entity")?,
            next_firm: counter("firm")?,
            last_run: last.map(|(id, n)| (id, n as u64)),
        })
    }

    /// The active overrides, oldest first.
    pub fn overrides(&self, include_removed: bool) -> Result<Vec<Override>, StateError> {
        list_overrides(&self.conn, include_removed).map_err(self.err())
    }

    /// Records a run that did not change the state (refused or failed).
    pub fn log_run(&self, run: &RunLog) -> Result<(), StateError> {
        run.insert(&self.conn).map_err(self.err())?;
        Ok(())
    }
}

impl Drop for State {
    /// Leaves the state in rollback-journal mode at rest (the WAL checkpointed into the file, no `-wal` or
    /// `-shm` beside it), so a `check` can read it without write access to its folder. Best effort: a reader
    /// in the middle of a look-up keeps WAL mode until the next run, which is just as safe.
    fn drop(&mut self) {
        use std::io::{Seek, Write};
        let _ = self.conn.busy_timeout(std::time::Duration::from_millis(500));
        let mode: Option<String> = self.conn.pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get(0)).ok();
        // The file as this writer leaves it: a reader finding it unchanged need not verify it page by page.
        if mode.as_deref() == Some("delete")
            && let Some(fp) = fingerprint(&self.path)
        {
            let mut f = &self._lock;
            let _ =
                f.set_len(0).and_then(|_| f.seek(std::io::SeekFrom::Start(0))).and_then(|_| f.write_all(fp.as_bytes()));
        }
    }
}

/// The size and modification time of a state file, as the writer left it (stored in `<state>.lock`).
fn fingerprint(path: &Path) -> Option<String> {
    let m = std::fs::metadata(path).ok()?;
    let mtime = m.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?;
    Some(format!("firmdedup state {} bytes, modified {}.{:09}\n", m.len(), mtime.as_secs(), mtime.subsec_nanos()))
}

/// True when the state file is exactly as the last firmdedup writer left it (size and modification time recorded
/// in `<state>.lock`, no `-wal` beside it): nothing outside firmdedup has written into it since.
pub fn unchanged_since_written(path: &Path) -> bool {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    if std::fs::metadata(PathBuf::from(wal)).is_ok_and(|m| m.len() > 0) {
        return false;
    }
    match (std::fs::read_to_string(lock_path(path)), fingerprint(path)) {
        (Ok(stored), Some(now)) => stored == now,
        _ => false,
    }
}

/// What the last run left in the state.
#[derive(Debug, Default)]
pub struct Previous {
    /// card id → (entity id, firm id).
    pub cards: FxHashMap<String, (String, String)>,
    /// Cards of earlier runs that are not in the last one: card id → the (entity id, firm id) they had.
    pub departed: FxHashMap<String, (String, String)>,
    /// Next entity number.
    pub next_entity: u64,
    /// Next firm number.
    pub next_firm: u64,
    /// The last successful run: id and accepted cards.
    pub last_run: Option<(i64, u64)>,
}

/// An administrator's decision.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Override {
    /// Its number.
    pub id: i64,
    /// Join or keep apart.
    pub action: crate::matching::firm::ConstraintKind,
    /// The level the decision is about.
    pub level: crate::matching::score::Level,
    /// A card id, entity id or firm id.
    pub a: String,
    /// The other.
    pub b: String,
    /// Why.
    pub reason: String,
    /// Who.
    pub created_by: String,
    /// When.
    pub created_at: String,
    /// Who removed it.
    pub removed_by: Option<String>,
    /// When it was removed.
    pub removed_at: Option<String>,
}

/// A row of the run log.
#[derive(Debug, Clone, Default)]
pub struct RunLog {
    /// Start.
    pub started_at: String,
    /// End.
    pub finished_at: String,
    /// The export read.
    pub input: String,
    /// Data rows read.
    pub cards_read: u64,
    /// Accepted.
    pub cards_accepted: u64,
    /// Rejected.
    pub cards_rejected: u64,
    /// Legal entities.
    pub legal_entities: u64,
    /// Firms.
    pub firms: u64,
    /// `ok`, `refused` or `failed`.
    pub outcome: String,
    /// Why, for refused or failed runs.
    pub message: String,
    /// Change counts, JSON.
    pub changes: String,
}

impl RunLog {
    /// Appends this run to the log; returns its run id.
    pub fn insert(&self, conn: &Connection) -> rusqlite::Result<i64> {
        conn.execute(
            "INSERT INTO runs(started_at, finished_at, input, cards_read, cards_accepted, cards_rejected, legal_entities, firms, outcome, message, changes) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)",
            params![
                self.started_at,
                self.finished_at,
                self.input,
                self.cards_read as i64,
                self.cards_accepted as i64,
                self.cards_rejected as i64,
                self.legal_entities as i64,
                self.firms as i64,
                self.outcome,
                self.message,
                self.changes
            ],
        )?;
        Ok(conn.last_insert_rowid())
    }
}

/// Opens a state for reading only (the managers' check, `override list`): no lock, never written, and no file
/// created beside it (a state at rest is in rollback-journal mode; during a run the writer's `-wal` and `-shm`
/// are used, which gives the reader a whole snapshot, old or new). In a folder the reader cannot write to, a
/// state in WAL mode with no `-wal` content is opened immutable (no writer can be at work there). Refuses a
/// missing state and one with no finished run.
pub fn open_read_only(path: &Path) -> Result<Connection, StateError> {
    if !path.is_file() {
        return Err(StateError::Missing(path.to_path_buf()));
    }
    let err = sql_err(path);
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(file_uri(path, false), flags).map_err(&err)?;
    conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(&err)?;
    let conn = match check_identity(&conn, path, false) {
        Err(StateError::Sqlite { source, .. }) if wal_unreadable(&source, path) => {
            let conn = Connection::open_with_flags(file_uri(path, true), flags).map_err(&err)?;
            check_identity(&conn, path, false).map(|known| (conn, known))
        }
        other => other.map(|known| (conn, known)),
    };
    let (conn, known) = conn?;
    if !known {
        return Err(StateError::NoRun(path.to_path_buf()));
    }
    if !has_finished_run(&conn, path)? {
        return Err(StateError::NoRun(path.to_path_buf()));
    }
    Ok(conn)
}

/// A `file:` URI for SQLite, read-only, optionally immutable.
fn file_uri(path: &Path, immutable: bool) -> String {
    let mut uri = String::from("file:");
    for b in path.to_string_lossy().bytes() {
        match b {
            b'?' | b'#' | b'%' => uri.push_str(&format!("%{b:02X}")),
            _ => uri.push(b as char),
        }
    }
    // Non-ASCII bytes were pushed as Latin-1 chars above; redo them as percent escapes.
    let uri: String =
        uri.chars().map(|c| if (c as u32) >= 0x80 { format!("%{:02X}", c as u32) } else { c.to_string() }).collect();
    format!("{uri}?mode=ro{}", if immutable { "&immutable=1" } else { "" })
}

/// True when a read-only open failed only because a WAL-mode state's `-shm` cannot be created (a folder the
/// reader cannot write to) and there is no `-wal` content a writer could still be adding to.
fn wal_unreadable(e: &rusqlite::Error, path: &Path) -> bool {
    let cant = matches!(e.sqlite_error_code(), Some(rusqlite::ErrorCode::CannotOpen | rusqlite::ErrorCode::ReadOnly));
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    let wal_empty = std::fs::metadata(PathBuf::from(wal)).map_or(true, |m| m.len() == 0);
    cant && wal_empty
}

/// Reads the active or all overrides over any connection (a read-only one included), oldest first.
pub fn list_overrides(conn: &Connection, include_removed: bool) -> rusqlite::Result<Vec<Override>> {
    let sql = format!(
        "SELECT override_id, action, level, a, b, reason, created_by, created_at, removed_by, removed_at FROM overrides {} ORDER BY override_id",
        if include_removed { "" } else { "WHERE removed_at IS NULL" }
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([], |r| {
        Ok(Override {
            id: r.get(0)?,
            action: overrides::parsed(r, 1)?,
            level: overrides::parsed(r, 2)?,
            a: r.get(3)?,
            b: r.get(4)?,
            reason: r.get(5)?,
            created_by: r.get(6)?,
            created_at: r.get(7)?,
            removed_by: r.get(8)?,
            removed_at: r.get(9)?,
        })
    })?;
    rows.collect()
}

/// True when a SQLite error says the file is damaged.
pub fn is_damage(e: &rusqlite::Error) -> bool {
    matches!(e.sqlite_error_code(), Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase))
        || e.to_string().contains("malformed")
}

/// Follows the lineage of an id (merged into …) to the id that holds its cards now. `None` for a retired or
/// unknown id.
pub fn resolve_id(conn: &Connection, id: &str) -> rusqlite::Result<Option<String>> {
    let mut cur = id.to_string();
    for _ in 0..64 {
        let table_hit: Option<i64> = if cur.starts_with('F') {
            conn.query_row("SELECT 1 FROM firms WHERE firm_id = ?1", [&cur], |r| r.get(0)).optional()?
        } else {
            conn.query_row("SELECT 1 FROM entities WHERE entity_id = ?1", [&cur], |r| r.get(0)).optional()?
        };
        if table_hit.is_some() {
            return Ok(Some(cur));
        }
        let next: Option<(String, Option<String>)> = conn
            .query_row("SELECT fate, into_id FROM lineage WHERE old_id = ?1", [&cur], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        match next {
            Some((fate, Some(into))) if fate == "merged" => cur = into,
            _ => return Ok(None),
        }
    }
    Ok(None)
}

/// A test hook: when `FIRMDEDUP_TEST_PAUSE_BEFORE_COMMIT` names a file, a run creates it once every row is
/// written but before the commit, and waits, so a test can kill the process at exactly that moment.
pub fn test_pause_before_commit() {
    if let Some(p) = std::env::var_os("FIRMDEDUP_TEST_PAUSE_BEFORE_COMMIT") {
        let _ = std::fs::write(&p, b"paused");
        std::thread::sleep(std::time::Duration::from_secs(60));
    }
}

/// Begins the transaction a run writes in.
pub fn begin<'c>(conn: &'c mut Connection, path: &Path) -> Result<rusqlite::Transaction<'c>, StateError> {
    conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_err(path))
}

/// Maps a SQLite error for this state.
pub fn map_err(path: &Path) -> impl Fn(rusqlite::Error) -> StateError + '_ {
    sql_err(path)
}

/// Stores the whole effective configuration of a run in `meta` (key `config`, JSON), in the run's transaction:
/// the managers' check scores with the weights and thresholds the state was built with.
pub fn write_config(conn: &Connection, cfg: &crate::config::Config) -> rusqlite::Result<()> {
    let json = serde_json::to_string(cfg).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('config', ?1)", [json])?;
    Ok(())
}

/// Whether the state's key index is version 4's (kind codes, no firm column: the firm is the card's), rather than
/// an older state's (kind names and the firm in each row), which the readers still read as it is.
pub fn keys_by_code(conn: &Connection) -> rusqlite::Result<bool> {
    Ok(conn.prepare_cached("PRAGMA user_version")?.query_row([], |r| r.get::<_, i64>(0))? >= 4)
}

/// The configuration a state was built with. A state written before the configuration was stored gives the
/// defaults, with the ownership policy and the generic cut it did store; a stored configuration that no longer
/// parses is an error (never silently the defaults).
pub fn read_config(conn: &Connection) -> Result<crate::config::Config, ConfigInStateError> {
    let meta = |k: &str| -> rusqlite::Result<Option<String>> {
        conn.query_row("SELECT value FROM meta WHERE key = ?1", [k], |r| r.get(0)).optional()
    };
    if let Some(json) = meta("config")? {
        return serde_json::from_str(&json).map_err(|e| ConfigInStateError::Parse(e.to_string()));
    }
    let mut cfg = crate::config::Config::default();
    if let Some(s) = meta("ownership")? {
        cfg.ownership = serde_json::from_str(&s).map_err(|e| ConfigInStateError::Parse(e.to_string()))?;
    }
    if let Some(n) = meta("generic_max_entities")?.and_then(|s| s.parse().ok()) {
        cfg.generic.max_entities = n;
    }
    Ok(cfg)
}

/// The configuration stored in a state cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigInStateError {
    /// SQLite failed.
    #[error(transparent)]
    Sql(#[from] rusqlite::Error),
    /// The stored JSON does not parse as a configuration.
    #[error("the configuration stored in the state does not parse: {0}")]
    Parse(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn a_writer_waits_a_bounded_moment_for_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let holder = State::open(&path).unwrap();
        // Held for longer than the wait: refused as locked, after the wait.
        let t = Instant::now();
        assert!(matches!(State::open_existing(&path, Duration::from_millis(150)), Err(StateError::Locked(_))));
        assert!(t.elapsed() >= Duration::from_millis(150));
        // Released during the wait: the lock is taken (and this state, with no finished run, is then refused).
        let release = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            drop(holder);
        });
        let t = Instant::now();
        let got = State::open_existing(&path, Duration::from_secs(5));
        assert!(matches!(got, Err(StateError::NoRun(_))), "{:?}", got.err());
        assert!(t.elapsed() >= Duration::from_millis(150));
        release.join().unwrap();
        // A missing state is refused, not created.
        let missing = dir.path().join("typo.db");
        assert!(matches!(State::open_existing(&missing, Duration::ZERO), Err(StateError::Missing(_))));
        assert!(matches!(open_read_only(&missing), Err(StateError::Missing(_))));
        assert!(!missing.exists());
    }

    #[test]
    fn uris_escape_what_sqlite_would_read_as_syntax() {
        assert_eq!(file_uri(Path::new("a/b.db"), false), "file:a/b.db?mode=ro");
        assert_eq!(file_uri(Path::new("x?#%.db"), true), "file:x%3F%23%25.db?mode=ro&immutable=1");
        assert_eq!(file_uri(Path::new("я.db"), false), "file:%D1%8F.db?mode=ro");
    }
}
