//! `firmdedup override`: the administrator's decisions.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

use crate::cli::{OverrideAction, OverrideArgs, OverridePair};
use crate::cmd::{Exit, Refused};
use crate::dict::Dictionaries;
use crate::ingest::{self, IngestOptions};
use crate::matching::firm::ConstraintKind;
use crate::matching::score::Level;
use crate::sanitize::terminal;
use crate::state::overrides::{self, NewOverride, OverrideError};
use crate::state::{State, StateError};

/// Who is acting: `--by`, else the login.
fn who(by: &Option<String>) -> String {
    by.clone()
        .or_else(|| std::env::var("USER").ok())
        .or_else(|| std::env::var("USERNAME").ok())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// Opens a state for writing, turning refusals into exit code 3.
pub fn open_state(path: &Path) -> anyhow::Result<State> {
    State::open(path).map_err(refusal)
}

/// Refusals of the state (exit code 3): locked, foreign, damaged, newer, missing, never finished a run.
fn refusal(e: StateError) -> anyhow::Error {
    match e {
        StateError::Locked(_)
        | StateError::Foreign(_)
        | StateError::Corrupt { .. }
        | StateError::Newer { .. }
        | StateError::Missing(_)
        | StateError::NoRun(_) => anyhow::Error::new(Refused(e.to_string())),
        other => anyhow::Error::new(other),
    }
}

fn record(state: &State, o: NewOverride) -> anyhow::Result<Exit> {
    if o.action == ConstraintKind::Split
        && let Some(inn) = overrides::shared_inn(&state.conn, o.a.trim(), o.b.trim())
            .with_context(|| format!("reading {}", state.path().display()))?
    {
        return Err(Refused(format!(
            "split {} {}: both cards carry ИНН {inn}, and cards with one ИНН are one legal entity by rule, so the split could not be honoured; correct the ИНН on the wrong card in the CRM instead (nothing was recorded)",
            terminal(o.a.trim()),
            terminal(o.b.trim())
        ))
        .into());
    }
    match overrides::add(&state.conn, &o) {
        Ok(Ok(id)) => {
            crate::cmd::say(&format!(
                "recorded decision #{id}: {} {} {} ({} level), by {}: {}",
                o.action,
                terminal(&o.a),
                terminal(&o.b),
                o.level,
                terminal(&o.by),
                terminal(&o.reason)
            ))?;
            Ok(Exit::Success)
        }
        Ok(Err(id)) => {
            crate::cmd::say(&format!(
                "already recorded as decision #{id}: {} {} {}",
                o.action,
                terminal(&o.a),
                terminal(&o.b)
            ))?;
            Ok(Exit::Success)
        }
        Err(e) => match e.downcast::<OverrideError>() {
            Ok(oe) => match *oe {
                OverrideError::Conflict { .. } => Err(Refused(oe.to_string()).into()),
                OverrideError::Invalid(m) => anyhow::bail!("{m}"),
            },
            Err(other) => Err(anyhow::anyhow!("{other}")),
        },
    }
}

fn pair(action: ConstraintKind, p: &OverridePair) -> NewOverride {
    NewOverride {
        action,
        level: p.level,
        a: p.a.trim().into(),
        b: p.b.trim().into(),
        reason: p.reason.clone(),
        by: who(&p.by),
    }
}

/// Runs `override`.
pub fn run(args: &OverrideArgs, dict: &Dictionaries) -> anyhow::Result<Exit> {
    let Some(path) = &args.state else {
        anyhow::bail!("--state FILE is required: the decisions are stored in the state");
    };
    // Listing reads only: no lock, so it works during a nightly run.
    if let OverrideAction::List { all, json } = &args.action {
        let conn = crate::cmd::check::open_state(path)?;
        crate::cmd::check::verify(&conn, path)?;
        let list = crate::state::list_overrides(&conn, *all).with_context(|| format!("reading {}", path.display()))?;
        return print_list(&list, *json);
    }
    let state = State::open_existing(path, crate::state::OVERRIDE_LOCK_WAIT).map_err(refusal)?;
    match &args.action {
        OverrideAction::Link(p) => record(&state, pair(ConstraintKind::Link, p)),
        OverrideAction::Split(p) => record(&state, pair(ConstraintKind::Split, p)),
        OverrideAction::List { .. } => Ok(Exit::Success), // answered above, read-only
        OverrideAction::Remove { id, by } => {
            if overrides::remove(&state.conn, *id, &who(by))? {
                crate::cmd::say(&format!("removed decision #{id}; it no longer applies from the next run"))?;
                Ok(Exit::Success)
            } else {
                anyhow::bail!("no active decision #{id} (see `firmdedup override list --all`)")
            }
        }
        OverrideAction::Import { file, by } => import(&state, file, &who(by), dict),
    }
}

fn print_list(list: &[crate::state::Override], json: bool) -> anyhow::Result<Exit> {
    let mut out = std::io::stdout().lock();
    if json {
        let text = serde_json::to_string_pretty(&list)?;
        writeln!(out, "{}", crate::sanitize::json_text(&text))?;
    } else if list.is_empty() {
        writeln!(out, "no decisions recorded")?;
    } else {
        for o in list {
            let removed = match (&o.removed_at, &o.removed_by) {
                (Some(at), by) => format!(" [removed {at} by {}]", by.as_deref().unwrap_or("?")),
                _ => String::new(),
            };
            writeln!(
                out,
                "#{:<4} {:<5} {:<6} {} {}  by {} at {}: {}{}",
                o.id,
                o.action,
                o.level,
                terminal(&o.a),
                terminal(&o.b),
                terminal(&o.created_by),
                o.created_at,
                terminal(&o.reason),
                terminal(&removed)
            )?;
        }
    }
    out.flush()?;
    Ok(Exit::Success)
}

fn import(state: &State, file: &Path, default_by: &str, dict: &Dictionaries) -> anyhow::Result<Exit> {
    let data = ingest::read_raw_rows(file, &IngestOptions::default(), dict)
        .with_context(|| format!("reading {}", file.display()))?;
    let col = |names: &[&str]| {
        data.headers.iter().position(|h| names.iter().any(|n| crate::normalize::text::header_key(h) == *n))
    };
    let (Some(ca), Some(cx), Some(cy), Some(cr)) = (
        col(&["action", "действие", "решение"]),
        col(&["a", "id1", "карточка1", "a_id"]),
        col(&["b", "id2", "карточка2", "b_id"]),
        col(&["reason", "причина", "основание"]),
    ) else {
        anyhow::bail!(
            "{}: expected columns action,a,b,level,reason[,by]; found: {}",
            file.display(),
            data.headers.join(", ")
        );
    };
    let cl = col(&["level", "уровень"]);
    let cb = col(&["by", "кто", "автор"]);
    let mut problems = Vec::new();
    let mut todo: Vec<(u64, NewOverride)> = Vec::new();
    for (line, row) in &data.rows {
        let get = |c: Option<usize>| c.and_then(|c| row.get(c)).map(|s| s.trim().to_lowercase()).unwrap_or_default();
        let raw = |c: usize| row.get(c).map(|s| s.trim().to_string()).unwrap_or_default();
        let action = match get(Some(ca)).as_str() {
            "link" | "связать" | "объединить" => ConstraintKind::Link,
            "split" | "разделить" | "разъединить" => ConstraintKind::Split,
            other => {
                problems.push(format!("line {line}, field action: action must be link or split, not {other:?}"));
                continue;
            }
        };
        let level = match get(cl).as_str() {
            "" | "фирма" | "firm" => Level::Firm,
            "юрлицо" | "entity" => Level::Entity,
            other => {
                problems.push(format!("line {line}, field level: level must be entity or firm, not {other:?}"));
                continue;
            }
        };
        let o = NewOverride {
            action,
            level,
            a: raw(cx),
            b: raw(cy),
            reason: raw(cr),
            by: cb.map(raw).filter(|s| !s.is_empty()).unwrap_or_else(|| default_by.to_string()),
        };
        if let Err(e) = overrides::validate(&o) {
            problems.push(format!("line {line}, field {}: {e}", invalid_field(&o)));
            continue;
        }
        // Against the state and against earlier rows of the file.
        let clash = todo
            .iter()
            .find(|(_, p)| ((p.a == o.a && p.b == o.b) || (p.a == o.b && p.b == o.a)) && p.action != o.action);
        if let Some((l, _)) = clash {
            problems.push(format!("line {line}: {} {} {} contradicts line {l}", o.action, o.a, o.b));
            continue;
        }
        if let Some((id, action)) = overrides::existing(&state.conn, &o.a, &o.b)?
            && action != o.action
        {
            problems
                .push(format!("line {line}: {} {} {} conflicts with decision #{id} ({action})", o.action, o.a, o.b));
            continue;
        }
        if o.action == ConstraintKind::Split
            && let Some(inn) = overrides::shared_inn(&state.conn, &o.a, &o.b)?
        {
            problems.push(format!(
                "line {line}: split {} {}: both cards carry ИНН {inn} (one legal entity by rule); correct the ИНН in the CRM instead",
                o.a, o.b
            ));
            continue;
        }
        todo.push((*line, o));
    }
    if !problems.is_empty() {
        return Err(Refused(format!(
            "{}: nothing imported, {} problem(s):\n  {}",
            file.display(),
            problems.len(),
            problems.join("\n  ")
        ))
        .into());
    }
    let tx = state.conn.unchecked_transaction()?;
    let (mut added, mut known) = (0, 0);
    for (_, o) in &todo {
        match overrides::add(&state.conn, o).map_err(|e| anyhow::anyhow!("{e}"))? {
            Ok(_) => added += 1,
            Err(_) => known += 1,
        }
    }
    tx.commit()?;
    crate::cmd::say(&format!("imported {added} decision(s) from {} ({known} already recorded)", file.display()))?;
    Ok(Exit::Success)
}

/// The column a decision that fails [`overrides::validate`] is wrong in, checked in the same order.
fn invalid_field(o: &NewOverride) -> &'static str {
    if o.a.trim().is_empty() {
        "a"
    } else if o.b.trim().is_empty() || o.a.trim() == o.b.trim() {
        "b"
    } else {
        "reason"
    }
}
