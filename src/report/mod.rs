//! Writers for what people and machines read: CSV files (through [`crate::csvio`]), JSON summaries.

use std::path::Path;

use crate::csvio::CsvOut;
use crate::ingest::Reject;

/// Writes rejected rows: `line,field,reason,raw`.
pub fn write_rejects(path: &Path, rejects: &[Reject]) -> std::io::Result<()> {
    let mut w = CsvOut::create(path, &["line", "field", "reason", "raw"])?;
    for r in rejects {
        w.row(&[r.line.to_string(), r.field.clone().unwrap_or_default(), r.reason.clone(), r.raw.clone()])?;
    }
    w.finish()?;
    Ok(())
}

pub mod dedup;
pub mod html;
pub mod ownership;
pub mod reassign;
pub mod review;
