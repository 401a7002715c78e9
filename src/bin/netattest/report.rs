//! `netattest report merge`: the shard reports of one sharded audit, read back and merged into one.

use netattest::report::merge::{Input, merge};
use netattest::trust::runs::load_report;

use crate::cli::{Cli, ReportCommand};
use crate::{color, emit, format, usage};

pub(crate) fn run(cli: &Cli, command: &ReportCommand) -> anyhow::Result<u8> {
    match command {
        ReportCommand::Merge { reports, output } => {
            let mut inputs = Vec::with_capacity(reports.len());
            for path in reports {
                // A file that is not a report is the user's to fix: exit 2, naming the file and why.
                let report = load_report(path).map_err(|e| usage(e.to_string()))?;
                inputs.push(Input {
                    source: path.display().to_string(),
                    report,
                });
            }
            let merged = merge(inputs).map_err(|e| usage(format!("not merged: {e}")))?;
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
