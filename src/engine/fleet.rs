//! Fan-out over many devices: bounded concurrency, one outcome per device, cancellation.
//!
//! The only place with concurrency. Workers send events to one reporter; a worker that panics or is
//! cancelled still yields an outcome for its device.

use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::collect::Events;
use crate::config::inventory::Device;
use crate::engine::{DeviceRun, Engine, Mode};
use crate::report::{DeviceReport, Outcome};

/// Runs `mode` on every device, at most `concurrency` at once. Returns one run per device.
pub async fn run_all(
    engine: Arc<Engine>,
    devices: Vec<Device>,
    mode: Mode,
    concurrency: usize,
    events: Events,
    cancel: CancellationToken,
) -> Vec<DeviceRun> {
    engine.tidy_if_idle();
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut set = JoinSet::new();
    let mut names = std::collections::HashMap::new();
    for device in devices {
        let (engine, permits, mode, events, cancel) = (
            engine.clone(),
            permits.clone(),
            mode.clone(),
            events.clone(),
            cancel.clone(),
        );
        let fallback = device.clone();
        let handle = set.spawn(async move {
            let work = async {
                let _permit = permits.acquire_owned().await.ok();
                engine.run(&device, &mode, &events).await
            };
            tokio::select! {
                run = work => run,
                _ = cancel.cancelled() => failed(&device, "cancelled before the device finished"),
            }
        });
        names.insert(handle.id(), fallback);
    }
    let mut runs = Vec::new();
    while let Some(joined) = set.join_next_with_id().await {
        match joined {
            Ok((_, run)) => runs.push(run),
            Err(e) => {
                if let Some(device) = names.get(&e.id()) {
                    runs.push(failed(device, &format!("internal error: {e}")));
                }
            }
        }
    }
    runs.sort_by(|a, b| a.report.device.cmp(&b.report.device));
    runs
}

fn failed(device: &Device, why: &str) -> DeviceRun {
    DeviceRun {
        report: DeviceReport {
            device: device.name.clone(),
            platform: device.platform.clone(),
            address: format!("{}:{}", device.address, device.port),
            outcome: Outcome::Error,
            detail: Some(why.to_owned()),
            facts: None,
            findings: Vec::new(),
            duration_ms: 0,
        },
        transcript: Vec::new(),
        evidence: None,
        baseline_version: None,
    }
}

/// Adds `fleet-outlier` findings (see [`crate::verify::consensus`]) to the devices they are about, with the
/// configured severity.
pub fn add_consensus(runs: &mut [DeviceRun], config: &crate::config::Config) {
    let fleet: Vec<&crate::evidence::Evidence> =
        runs.iter().filter_map(|r| r.evidence.as_ref()).collect();
    let outliers = crate::verify::consensus::fleet_outliers(&fleet);
    for mut f in outliers {
        f.severity = config.severity_of(f.code);
        if let Some(run) = runs.iter_mut().find(|r| r.report.device == f.device) {
            run.report.findings.push(f);
        }
    }
}

/// An audit's fleet consensus: judged now over its devices, or, in a shard of a sharded audit, left to the
/// merge (the device's peers may sit in other shards), with what it needs kept in the shard's record.
pub fn judge_consensus(
    runs: &mut [DeviceRun],
    config: &crate::config::Config,
    shard: Option<&mut crate::report::merge::ShardInfo>,
) {
    match shard {
        None => add_consensus(runs, config),
        Some(info) => {
            info.peers = runs
                .iter()
                .filter_map(|r| r.evidence.as_ref())
                .map(crate::verify::consensus::peer_facts)
                .collect();
            info.fleet_outlier_severity =
                config.severity_of(crate::report::finding::Code::FleetOutlier);
        }
    }
}

/// Merges the reports of a sharded audit ([`crate::report::merge::merge`]) and judges fleet consensus over
/// every shard's devices, as one unsharded audit would have: a `fleet-outlier` needs peers that may sit in
/// another shard.
pub fn merge_shards(
    inputs: Vec<crate::report::merge::Input>,
) -> Result<crate::report::Report, crate::report::merge::MergeError> {
    let (peers, severity) = crate::report::merge::peers_of(&inputs);
    let mut report = crate::report::merge::merge(inputs)?;
    let mut outliers = crate::verify::consensus::fleet_outliers_of(&peers);
    outliers.iter_mut().for_each(|f| f.severity = severity);
    crate::report::merge::add_fleet_findings(&mut report, outliers);
    Ok(report)
}
