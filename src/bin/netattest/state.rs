//! `netattest state verify`: the whole state directory checked offline.

use clap::{Args, Subcommand};
use netattest::report::LedgerHead;
use netattest::trust::baseline::BaselineStore;
use netattest::trust::ledger;

use crate::cli::Cli;
use crate::{config_path, load_config, state_dir, usage};

#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// Verify the ledger, its log, and every device's chain of baseline versions, without a network.
    /// Exit 0 when everything verifies, 1 when anything does not.
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A ledger head seen before (`ledger_head` in an earlier run report, SEQ:SHA256): fail unless the
    /// state directory's head is that one or descends from it (an older head means it was restored from a
    /// backup).
    #[arg(long, value_name = "SEQ:SHA256")]
    pub expect_head: Option<LedgerHead>,
}

pub fn run(cli: &Cli, command: &StateCommand) -> anyhow::Result<u8> {
    let StateCommand::Verify(args) = command;
    let cfg = match config_path(cli) {
        Some(_) => Some(load_config(cli)?),
        None => None,
    };
    let state = state_dir(cli, cfg.as_ref())?;
    let signer = state.signer().map_err(|e| usage(e.to_string()))?;
    let mut failures: Vec<String> = Vec::new();
    let loaded = match ledger::load(&state, &signer) {
        Ok(Some(l)) => Some(l),
        Ok(None) => {
            failures.push(format!("{}: missing", state.ledger().display()));
            None
        }
        Err(e) => {
            failures.push(e.to_string());
            None
        }
    };
    if let Some(l) = &loaded {
        println!(
            "ledger head {} ({} device(s))",
            l.head,
            l.ledger.devices.len()
        );
        match ledger::read_log(&state, &signer) {
            Ok(lines) => match lines.last() {
                Some(last) if last.head == l.head => {
                    println!("ledger log: {} line(s), ends at the head", lines.len())
                }
                Some(last) if last.head.sequence + 1 == l.head.sequence => println!(
                    "ledger log: ends one commit behind the head (a writer was killed after committing; the next write rebuilds the line)"
                ),
                _ => failures.push(format!(
                    "ledger log ends at {}, not at the head {}",
                    lines
                        .last()
                        .map_or("nothing".into(), |h| h.head.to_string()),
                    l.head
                )),
            },
            Err(e) => failures.push(e.to_string()),
        }
    }
    let store = BaselineStore::new(&state, &signer);
    for device in store.devices() {
        match store.history(&device) {
            Ok(chain) => println!("ok   {device}: {} version(s), chain verified", chain.len()),
            Err(e) => failures.push(e.to_string()),
        }
    }
    if let Some(expected) = &args.expect_head {
        match ledger::check_expected(&state, &signer, expected) {
            Ok(head) => println!("head {head} is {expected} or descends from it"),
            Err(why) => failures.push(why),
        }
    }
    for f in &failures {
        println!("FAIL {}", netattest::sanitize::display_line(f, 300));
    }
    Ok(if failures.is_empty() { 0 } else { 1 })
}
