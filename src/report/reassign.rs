//! The reassignment plan as files: `reassign.csv` for people (every card whose manager must change, with the
//! reason in words) and `reassign_import.csv` for the CRM (the same changes in the export's own id and manager
//! columns, delimiter, encoding and line end, so it can be imported back without editing).

use std::path::Path;

use crate::card::Field;
use crate::csvio::{CsvOut, ExportFormat, write_export_like};
use crate::ownership::Plan;
use crate::pipeline::Dedup;
use crate::report::dedup::Ids;

/// The header of reassign.csv.
pub const HEADER: [&str; 6] = ["card_id", "firm_id", "firm_name", "manager_now", "manager_new", "reason"];

/// What was written, for summary.json.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Written {
    /// Cards whose manager changes.
    pub cards: usize,
    /// Cards that go to the pool.
    pub cards_to_pool: usize,
    /// Firms the plan releases into the pool.
    pub firms_released: usize,
    /// `reassign_import.csv` was written.
    pub import_file: bool,
    /// Why it was not.
    pub import_file_skipped: Option<String>,
}

/// Writes reassign.csv and, when the export has id and manager columns, reassign_import.csv; removes an import
/// file left by an earlier run otherwise (it would describe another export).
pub fn write(dir: &Path, d: &Dedup, ids: &Ids, plan: &Plan) -> std::io::Result<Written> {
    let mut w = CsvOut::create(&dir.join("reassign.csv"), &HEADER)?;
    w.par_rows(plan.rows.len(), |i, row| {
        let r = &plan.rows[i];
        let f = r.firm as usize;
        let reason = plan.firms[f].as_ref().map(|t| t.reason.text()).unwrap_or_default();
        row.extend([
            d.cards[r.card as usize].id.to_string(),
            ids.firm[f].clone(),
            d.firms[f].name.to_string(),
            r.manager_now.as_deref().unwrap_or_default().to_string(),
            r.manager_new.as_deref().unwrap_or_default().to_string(),
            reason,
        ]);
    })?;
    w.finish()?;

    let cols = &d.ingest.columns;
    let header_of = |f: Field| cols.columns_of(f).first().map(|&c| cols.headers[c].clone());
    let import = dir.join("reassign_import.csv");
    let skipped = match (header_of(Field::Id), header_of(Field::Manager)) {
        _ if d.ingest.ids_from_lines => Some("the export has no id column".to_string()),
        (Some(id), Some(manager)) => {
            let format = ExportFormat {
                delimiter: d.ingest.delimiter,
                encoding: d.ingest.encoding,
                bom: d.ingest.bom,
                crlf: d.ingest.crlf,
            };
            // Grouped by the new manager (one group action per manager in Bitrix24), then in card order.
            let mut order: Vec<usize> = (0..plan.rows.len()).collect();
            order.sort_by(|&a, &b| plan.rows[a].manager_new.cmp(&plan.rows[b].manager_new).then(a.cmp(&b)));
            let rows: Vec<Vec<String>> = order
                .iter()
                .map(|&i| {
                    let r = &plan.rows[i];
                    vec![
                        d.cards[r.card as usize].id.to_string(),
                        r.manager_new.as_deref().unwrap_or_default().to_string(),
                    ]
                })
                .collect();
            write_export_like(&import, format, &[id.as_str(), manager.as_str()], &rows)?;
            None
        }
        (_, None) => Some("the export has no manager column".to_string()),
        (None, _) => Some("the export has no id column".to_string()),
    };
    if skipped.is_some() && import.exists() {
        std::fs::remove_file(&import)?;
    }
    Ok(Written {
        cards: plan.rows.len(),
        cards_to_pool: plan.rows.iter().filter(|r| r.manager_new.is_none()).count(),
        firms_released: plan.released(),
        import_file: skipped.is_none(),
        import_file_skipped: skipped,
    })
}
