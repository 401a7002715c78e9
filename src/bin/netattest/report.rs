//! `netattest report merge`: the shard reports of one sharded audit, read back and merged into one.

use netattest::engine::fleet::merge_shards;
use netattest::report::merge::Input;
use netattest::trust::runs::{load_report, report_files};

use crate::cli::{Cli, ReportCommand};
use crate::{color, emit, format, usage};

pub(crate) fn run(cli: &Cli, command: &ReportCommand) -> anyhow::Result<u8> {
    match command {
        ReportCommand::Merge {
            reports,
            max_age,
            output,
        } => {
            let mut inputs = Vec::with_capacity(reports.len());
            let mut stale = 0;
            for given in reports {
                for path in report_files(given).map_err(|e| usage(e.to_string()))? {
                    // A file that is not a report is the user's to fix: exit 2, naming the file and why.
                    let report = load_report(&path).map_err(|e| usage(e.to_string()))?;
                    if let Some(max) = max_age
                        && older_than(&report.finished_at, *max)
                    {
                        eprintln!(
                            "warning: {} finished at {}, more than {} ago: left out",
                            path.display(),
                            netattest::sanitize::display_line(&report.finished_at, 40),
                            humantime::format_duration(*max)
                        );
                        stale += 1;
                        continue;
                    }
                    inputs.push(Input {
                        source: path.display().to_string(),
                        report,
                    });
                }
            }
            if inputs.is_empty() && stale > 0 {
                return Err(usage(format!(
                    "not merged: every one of the {stale} report(s) is older than --max-age"
                )));
            }
            let merged = merge_shards(inputs).map_err(|e| usage(format!("not merged: {e}")))?;
            if let Some(m) = &merged.merged {
                for i in &m.missing {
                    eprintln!(
                        "warning: shard {i}/{} is missing: its devices were not checked, so the merged report is incomplete",
                        m.count
                    );
                }
            }
            emit(
                &merged,
                format(output.format),
                output.output.as_deref(),
                color(cli) && output.output.is_none(),
            )?;
            Ok(merged.exit_code() as u8)
        }
    }
}

/// Whether an RFC 3339 time is further back than `max`; a time that does not parse is taken as old, so a
/// report with a garbled time is never merged as fresh.
fn older_than(rfc3339: &str, max: std::time::Duration) -> bool {
    match humantime::parse_rfc3339_weak(rfc3339) {
        Ok(t) => t.elapsed().is_ok_and(|age| age > max),
        Err(_) => true,
    }
}
