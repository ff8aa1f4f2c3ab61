//! Managers' figures over time: each nightly run appends one row per manager to `manager_history` (firms held,
//! active, idle, stale, over the limit, conflicts won and lost, firms the plan releases and gives), so
//! managers.csv can show the change since the previous run and since 30 days ago, and the head of sales can see
//! whether the rules raise activity.

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, params};

use crate::ownership::{Figures, ManagerRow};

/// The table, created by the schema migration to version 2.
pub const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS manager_history (
    run_id INTEGER NOT NULL,
    at TEXT NOT NULL,
    manager TEXT NOT NULL,
    firms_held INTEGER NOT NULL,
    active_30d INTEGER NOT NULL,
    idle_90d INTEGER NOT NULL,
    stale INTEGER NOT NULL,
    over_limit INTEGER NOT NULL,
    conflicts_won INTEGER NOT NULL,
    conflicts_lost INTEGER NOT NULL,
    released INTEGER NOT NULL,
    gained INTEGER NOT NULL,
    PRIMARY KEY (run_id, manager)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS manager_history_by_at ON manager_history(at);
"#;

/// Appends this run's figures. `at` is the date the statuses were computed for (`--today`).
pub fn record(conn: &Connection, run_id: i64, at: NaiveDate, rows: &[ManagerRow]) -> rusqlite::Result<()> {
    let mut st = conn.prepare_cached(
        "INSERT INTO manager_history(run_id, at, manager, firms_held, active_30d, idle_90d, stale, over_limit, conflicts_won, conflicts_lost, released, gained) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)",
    )?;
    let at = at.to_string();
    for r in rows {
        let f = r.figures();
        st.execute(params![
            run_id,
            at,
            r.manager,
            f.firms_held,
            f.active_30d,
            f.idle_90d,
            f.stale,
            r.over_limit,
            r.conflicts_won,
            r.conflicts_lost,
            r.released,
            r.gained
        ])?;
    }
    Ok(())
}

fn figures_of(conn: &Connection, run_id: i64) -> rusqlite::Result<Vec<(String, Figures)>> {
    let mut st = conn.prepare_cached(
        "SELECT manager, firms_held, active_30d, idle_90d, stale FROM manager_history WHERE run_id = ?1 ORDER BY manager",
    )?;
    st.query_map([run_id], |r| {
        Ok((r.get(0)?, Figures { firms_held: r.get(1)?, active_30d: r.get(2)?, idle_90d: r.get(3)?, stale: r.get(4)? }))
    })?
    .collect()
}

/// Runs whose figures report.html draws as each manager's trend.
pub const TREND_RUNS: usize = 12;

/// Fills `vs_prev` and `vs_30d` of each row from the runs recorded before this one: the last run, and the last
/// run dated at least 30 days before `today`. A manager missing from such a run held nothing then (zeros).
pub fn fill_changes(conn: &Connection, rows: &mut [ManagerRow], today: NaiveDate) -> rusqlite::Result<()> {
    let prev: Option<i64> =
        conn.query_row("SELECT max(run_id) FROM manager_history", [], |r| r.get::<_, Option<i64>>(0))?;
    let month_ago = (today - chrono::Days::new(30)).to_string();
    let old: Option<i64> = conn
        .query_row(
            "SELECT run_id FROM manager_history WHERE at <= ?1 ORDER BY at DESC, run_id DESC LIMIT 1",
            [month_ago],
            |r| r.get(0),
        )
        .optional()?;
    let lookup = |run: Option<i64>| -> rusqlite::Result<Option<Vec<(String, Figures)>>> {
        run.map(|id| figures_of(conn, id)).transpose()
    };
    let (prev, old) = (lookup(prev)?, lookup(old)?);
    let find = |v: &Option<Vec<(String, Figures)>>, m: &str| {
        v.as_ref().map(|v| v.iter().find(|(k, _)| k == m).map(|(_, f)| *f).unwrap_or_default())
    };
    // The last runs, oldest first, for the trend.
    let mut st = conn
        .prepare_cached("SELECT run_id, max(at) FROM manager_history GROUP BY run_id ORDER BY run_id DESC LIMIT ?1")?;
    let mut runs: Vec<(i64, String)> =
        st.query_map([TREND_RUNS as i64], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
    runs.reverse();
    let mut past: Vec<(String, Vec<(String, Figures)>)> = Vec::with_capacity(runs.len());
    for (id, at) in runs {
        past.push((at, figures_of(conn, id)?));
    }
    for r in rows {
        r.vs_prev = find(&prev, &r.manager);
        r.vs_30d = find(&old, &r.manager);
        r.trend = past
            .iter()
            .map(|(at, v)| (at.clone(), v.iter().find(|(k, _)| *k == r.manager).map(|(_, f)| *f).unwrap_or_default()))
            .collect();
    }
    Ok(())
}

/// The last activity on each firm `manager` holds (on any of its cards, as the release rule counts it) (for the manager's nudge in `check`).
pub fn held_activity(conn: &Connection, manager: &str) -> rusqlite::Result<Vec<Option<NaiveDate>>> {
    let mut st = conn.prepare_cached("SELECT last_activity FROM firms WHERE owner = ?1")?;
    st.query_map([manager], |r| {
        let s: String = r.get(0)?;
        Ok(NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok())
    })?
    .collect()
}

/// The whole history, oldest first: (run_id, at, manager, figures), for reports and tests.
pub fn all(conn: &Connection) -> rusqlite::Result<Vec<(i64, String, String, Figures)>> {
    let mut st = conn.prepare(
        "SELECT run_id, at, manager, firms_held, active_30d, idle_90d, stale FROM manager_history ORDER BY run_id, manager",
    )?;
    st.query_map([], |r| {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            Figures { firms_held: r.get(3)?, active_30d: r.get(4)?, idle_90d: r.get(5)?, stale: r.get(6)? },
        ))
    })?
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::State;

    fn row(manager: &str, held: u32, idle_30: u32, idle_90: u32, stale: u32) -> ManagerRow {
        ManagerRow {
            manager: manager.into(),
            firms_held: held,
            idle_30,
            idle_90,
            stale_firms: stale,
            ..ManagerRow::default()
        }
    }

    #[test]
    fn a_version_1_state_is_migrated_and_keeps_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        {
            let st = State::open(&path).unwrap();
            st.conn.execute("INSERT INTO meta(key, value) VALUES ('mark', 'kept')", []).unwrap();
            // What a version-1 state looks like: no manager_history, the key index and the word variants as
            // rowid tables with the kinds' names and the firms, the cards with their normalised name and domains.
            st.conn
                .execute_batch(
                    "DROP TABLE manager_history; DROP TABLE key_kinds; DROP TABLE keys; DROP TABLE cards;
                     CREATE TABLE keys (kind TEXT NOT NULL, value TEXT NOT NULL, firm_id TEXT NOT NULL, card_id TEXT NOT NULL);
                     CREATE INDEX keys_by_value ON keys(kind, value);
                     INSERT INTO keys VALUES ('inn', '7707083893', 'F000001', '1');
                     CREATE TABLE word_variants (variant TEXT NOT NULL, word TEXT NOT NULL);
                     CREATE TABLE cards (
                         card_id TEXT PRIMARY KEY, entity_id TEXT NOT NULL, firm_id TEXT NOT NULL,
                         name TEXT NOT NULL, legal_form TEXT NOT NULL, name_norm TEXT NOT NULL,
                         inn TEXT NOT NULL, kpp TEXT NOT NULL, ogrn TEXT NOT NULL,
                         phones TEXT NOT NULL, emails TEXT NOT NULL, domains TEXT NOT NULL, contacts TEXT NOT NULL,
                         brand TEXT NOT NULL, address TEXT NOT NULL, manager TEXT NOT NULL, last_activity TEXT NOT NULL
                     ) WITHOUT ROWID;
                     CREATE INDEX cards_by_entity ON cards(entity_id);
                     INSERT INTO cards VALUES ('1', 'E000001', 'F000001', 'ООО «Ромашка»', 'ООО', 'ромашка',
                         '7707083893', '', '', '', '', '', '', '', '', 'ivanova', '');
                     PRAGMA user_version = 1;",
                )
                .unwrap();
        }
        let st = State::open(&path).unwrap();
        let v: i64 = st.conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(v, crate::state::SCHEMA_VERSION);
        let mark: String = st.conn.query_row("SELECT value FROM meta WHERE key = 'mark'", [], |r| r.get(0)).unwrap();
        assert_eq!(mark, "kept");
        assert!(all(&st.conn).unwrap().is_empty());
        let key: (i64, String, String) = st
            .conn
            .query_row("SELECT kind, value, card_id FROM keys", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap();
        assert_eq!(key, (crate::matching::keys::KeyKind::Inn.code(), "7707083893".into(), "1".into()));
        let card: (String, String) =
            st.conn.query_row("SELECT firm_id, manager FROM cards", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
        assert_eq!(card, ("F000001".into(), "ivanova".into()));
    }

    #[test]
    fn changes_since_the_previous_run_and_30_days_ago() {
        let dir = tempfile::tempdir().unwrap();
        let st = State::open(&dir.path().join("s.db")).unwrap();
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let mut now = vec![row("ivanova", 10, 4, 2, 1), row("petrov", 5, 5, 5, 5)];
        fill_changes(&st.conn, &mut now, day("2026-11-01")).unwrap();
        assert!(now.iter().all(|r| r.vs_prev.is_none() && r.vs_30d.is_none()), "nothing recorded yet");
        record(&st.conn, 1, day("2026-10-01"), &[row("ivanova", 8, 8, 3, 2)]).unwrap();
        record(&st.conn, 2, day("2026-10-20"), &[row("ivanova", 9, 5, 2, 2), row("petrov", 7, 6, 6, 6)]).unwrap();
        fill_changes(&st.conn, &mut now, day("2026-11-01")).unwrap();
        // Previous run (2): ivanova held 9, 4 active; now 10, 6 active.
        let ivanova = now[0].vs_prev.unwrap();
        assert_eq!((ivanova.firms_held, ivanova.active_30d, ivanova.idle_90d, ivanova.stale), (9, 4, 2, 2));
        // 30 days before 01.11 is 02.10: run 1 (01.10); petrov was not in it, so he held nothing then.
        assert_eq!(now[0].vs_30d.unwrap().firms_held, 8);
        assert_eq!(now[0].vs_30d.unwrap().active_30d, 0);
        assert_eq!(now[1].vs_30d, Some(Figures::default()));
        assert_eq!(now[1].vs_prev.unwrap().firms_held, 7);
        // The trend: both runs, oldest first, with their dates; petrov held nothing in the first.
        let held = |r: &ManagerRow| r.trend.iter().map(|(at, f)| (at.clone(), f.firms_held)).collect::<Vec<_>>();
        assert_eq!(held(&now[0]), [("2026-10-01".to_string(), 8), ("2026-10-20".to_string(), 9)]);
        assert_eq!(held(&now[1]), [("2026-10-01".to_string(), 0), ("2026-10-20".to_string(), 7)]);
    }
}
