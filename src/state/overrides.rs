//! The administrator's decisions: stored in the state, checked against each other, and turned into the
//! constraints the matcher follows on every run.

use rusqlite::{Connection, OptionalExtension, params};
use rustc_hash::FxHashMap;

use crate::matching::firm::{Constraint, ConstraintKind};
use crate::matching::score::Level;
use crate::state::{Override, Previous, now, resolve_id};

/// A decision to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOverride {
    /// Join or keep apart.
    pub action: ConstraintKind,
    /// The level the decision is about.
    pub level: Level,
    /// One side.
    pub a: String,
    /// The other side.
    pub b: String,
    /// Why.
    pub reason: String,
    /// Who.
    pub by: String,
}

/// Why a decision cannot be recorded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OverrideError {
    /// The opposite decision exists for the same pair.
    #[error(
        "{action} {a} {b} conflicts with decision #{existing} ({other} {a} {b}); remove it first with `firmdedup override remove {existing}`"
    )]
    Conflict {
        /// This action.
        action: ConstraintKind,
        /// Side A.
        a: String,
        /// Side B.
        b: String,
        /// The conflicting decision.
        existing: i64,
        /// Its action.
        other: ConstraintKind,
    },
    /// Bad values.
    #[error("{0}")]
    Invalid(String),
}

/// Checks a decision's fields.
pub fn validate(o: &NewOverride) -> Result<(), OverrideError> {
    if o.a.trim().is_empty() || o.b.trim().is_empty() {
        return Err(OverrideError::Invalid("both sides (A and B) are required".into()));
    }
    if o.a.trim() == o.b.trim() {
        return Err(OverrideError::Invalid(format!("A and B are the same ({})", o.a)));
    }
    if o.reason.trim().is_empty() {
        return Err(OverrideError::Invalid("a reason is required (--reason)".into()));
    }
    Ok(())
}

/// The active decision on the same unordered pair, if any: (id, action).
pub fn existing(conn: &Connection, a: &str, b: &str) -> rusqlite::Result<Option<(i64, ConstraintKind)>> {
    conn.query_row(
        "SELECT override_id, action FROM overrides WHERE removed_at IS NULL AND ((a = ?1 AND b = ?2) OR (a = ?2 AND b = ?1)) ORDER BY override_id LIMIT 1",
        params![a, b],
        |r| Ok((r.get(0)?, parsed(r, 1)?)),
    )
    .optional()
}

/// Records a decision; returns its number, or the number of the same decision already recorded.
pub fn add(conn: &Connection, o: &NewOverride) -> Result<Result<i64, i64>, Box<dyn std::error::Error + Send + Sync>> {
    validate(o)?;
    let (a, b) = (o.a.trim(), o.b.trim());
    if let Some((id, action)) = existing(conn, a, b)? {
        if action == o.action {
            return Ok(Err(id));
        }
        return Err(Box::new(OverrideError::Conflict {
            action: o.action,
            a: a.into(),
            b: b.into(),
            existing: id,
            other: action,
        }));
    }
    conn.execute(
        "INSERT INTO overrides(action, level, a, b, reason, created_by, created_at) VALUES (?1,?2,?3,?4,?5,?6,?7)",
        params![o.action.name(), o.level.name(), a, b, o.reason.trim(), o.by, now()],
    )?;
    Ok(Ok(conn.last_insert_rowid()))
}

/// The ИНН two cards of the state both carry, if they do (a split of them cannot be honoured: one ИНН is one
/// legal entity by rule). `None` when either side is not a card of the state or the ИНН differ.
pub fn shared_inn(conn: &Connection, a: &str, b: &str) -> rusqlite::Result<Option<String>> {
    let inn = |id: &str| -> rusqlite::Result<Option<String>> {
        conn.query_row("SELECT inn FROM cards WHERE card_id = ?1", [id], |r| r.get::<_, String>(0))
            .optional()
            .map(|v| v.filter(|s| !s.is_empty()))
    };
    Ok(match (inn(a)?, inn(b)?) {
        (Some(x), Some(y)) if x == y => Some(x),
        _ => None,
    })
}

/// Marks decision `id` removed. `Ok(false)` when there is no such active decision.
pub fn remove(conn: &Connection, id: i64, by: &str) -> rusqlite::Result<bool> {
    let n = conn.execute(
        "UPDATE overrides SET removed_at = ?1, removed_by = ?2 WHERE override_id = ?3 AND removed_at IS NULL",
        params![now(), by, id],
    )?;
    Ok(n == 1)
}

/// Turns the active decisions into constraints on this run's cards (by index). A side is a card id of the
/// export, or an entity or firm id of the state (followed through merges), standing for its cards that are in
/// the export. Returns the constraints and the decisions that apply to no card of this export.
pub fn constraints(
    conn: &Connection,
    overrides: &[Override],
    card_index: &FxHashMap<&str, u32>,
    prev: &Previous,
) -> rusqlite::Result<(Vec<Constraint>, Vec<i64>)> {
    // Cards of each old entity and firm, by index in this export.
    let mut by_group: FxHashMap<&str, Vec<u32>> = FxHashMap::default();
    for (card, (e, f)) in &prev.cards {
        if let Some(&i) = card_index.get(card.as_str()) {
            by_group.entry(e.as_str()).or_default().push(i);
            by_group.entry(f.as_str()).or_default().push(i);
        }
    }
    let side = |x: &str| -> rusqlite::Result<Vec<u32>> {
        if let Some(&i) = card_index.get(x) {
            return Ok(vec![i]);
        }
        let id = resolve_id(conn, x)?.unwrap_or_else(|| x.to_string());
        let mut v = by_group.get(id.as_str()).cloned().unwrap_or_default();
        v.sort_unstable();
        Ok(v)
    };
    let mut out = Vec::new();
    let mut unused = Vec::new();
    for o in overrides {
        let (a, b) = (side(&o.a)?, side(&o.b)?);
        if a.is_empty() || b.is_empty() {
            unused.push(o.id);
            continue;
        }
        out.push(Constraint { kind: o.action, level: o.level, a, b });
    }
    Ok((out, unused))
}

/// A stored text column read as one of the enums it holds (`link`/`split`, `entity`/`firm`); anything else is a
/// damaged state, reported as a conversion error of that column.
pub(crate) fn parsed<T: std::str::FromStr<Err = String>>(r: &rusqlite::Row, i: usize) -> rusqlite::Result<T> {
    let text: String = r.get(i)?;
    text.parse::<T>().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            Box::<dyn std::error::Error + Send + Sync>::from(e),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Connection {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(crate::state::SCHEMA).unwrap();
        c
    }

    fn decision(action: ConstraintKind, a: &str, b: &str) -> NewOverride {
        NewOverride {
            action,
            level: Level::Firm,
            a: a.into(),
            b: b.into(),
            reason: "checked by phone".into(),
            by: "admin".into(),
        }
    }

    #[test]
    fn a_decision_needs_two_different_sides_and_a_reason() {
        assert!(validate(&decision(ConstraintKind::Link, "1001", "1002")).is_ok());
        for bad in [
            decision(ConstraintKind::Link, "1001", "1001"),
            decision(ConstraintKind::Link, " ", "1002"),
            NewOverride { reason: "  ".into(), ..decision(ConstraintKind::Split, "1001", "1002") },
        ] {
            assert!(matches!(validate(&bad), Err(OverrideError::Invalid(_))), "{bad:?}");
        }
    }

    #[test]
    fn the_same_decision_is_recorded_once_and_the_opposite_one_is_refused() {
        let c = db();
        let first = add(&c, &decision(ConstraintKind::Link, "1001", "1002")).unwrap();
        let id = first.expect("recorded");
        // The same pair either way round: already recorded.
        assert_eq!(add(&c, &decision(ConstraintKind::Link, "1002", "1001")).unwrap(), Err(id));
        // The opposite decision conflicts with it, naming it.
        let e = add(&c, &decision(ConstraintKind::Split, "1002", "1001")).unwrap_err();
        let e = e.downcast::<OverrideError>().unwrap();
        assert!(matches!(*e, OverrideError::Conflict { existing, other: ConstraintKind::Link, .. } if existing == id));
        assert!(e.to_string().contains(&format!("override remove {id}")), "{e}");
        // Removed, it no longer blocks the opposite one.
        assert!(remove(&c, id, "admin").unwrap());
        assert!(!remove(&c, id, "admin").unwrap(), "removed once");
        assert!(add(&c, &decision(ConstraintKind::Split, "1002", "1001")).unwrap().is_ok());
        assert_eq!(existing(&c, "1001", "1002").unwrap().map(|(_, a)| a), Some(ConstraintKind::Split));
    }

    #[test]
    fn a_damaged_action_in_the_state_is_an_error_not_a_guess() {
        let c = db();
        // Past the CHECK constraint, as a damaged or hand-edited file could be.
        c.execute_batch("PRAGMA ignore_check_constraints = ON;").unwrap();
        c.execute(
            "INSERT INTO overrides(action, level, a, b, reason, created_by, created_at) VALUES ('merge','firm','1','2','r','x','t')",
            [],
        )
        .unwrap();
        assert!(existing(&c, "1", "2").is_err());
    }
}
