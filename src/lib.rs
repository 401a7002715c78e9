//! netattest: verifies the integrity of network appliances over SSH.
//!
//! The stages, in pipeline order:
//!
//! - [`config`]: strict TOML in, validated typed values and the device inventory out.
//! - [`profile`]: vendor profiles as data, and the pure parsers of what devices answer.
//! - [`ssh`]: the SSH client: sessions, authentication, host-key pins, shell driver, pulls.
//! - [`collect`]: the only network I/O: one device's probes and pulls → [`evidence::Evidence`].
//! - [`evidence`]: what collection yields; the one set of types both sides of the pipeline import.
//! - [`verify`]: pure: evidence × baseline × catalog × fleet → findings.
//! - [`trust`]: signed baselines, vendor catalogs and signatures, the state directory and run archive.
//! - [`report`]: findings, reports, diffs and renderers.
//! - [`engine`]: one device's run as typed phases, and the fan-out over many devices.
//! - [`lab`]: simulated devices that speak each profile's CLI, with adversary scenarios and faults.
//!
//! [`digest`], [`sanitize`] and [`shard`] are the shared pieces every stage uses. The binary in
//! `src/bin/netattest` is the only place that prints.
#![forbid(unsafe_code)]

/// Raw TOML, validation, inventory.
pub mod config;

/// Profile model, loader, built-ins and pure output parsers.
pub mod profile;

/// Sessions, auth, host-key pins, shell driver, pulls.
pub mod ssh;

/// The only network I/O: probes and pulls → evidence.
pub mod collect;

/// What collection yields, imported by both sides.
pub mod evidence;

/// Pure checks: evidence × baseline × catalog × fleet → findings.
pub mod verify;

/// Signed baselines, catalogs and signatures, the state directory.
pub mod trust;

/// Findings, reports, diffs, renderers, the run archive.
pub mod report;

/// One device as typed phases; the fan-out over a fleet.
pub mod engine;

/// Simulated devices, personas, scenarios, faults.
pub mod lab;

/// Typed digests and the streaming multi-hasher.
pub mod digest;

/// Making what a device sends safe to show and to parse.
pub mod sanitize;

/// Splitting an audit over machines: rendezvous hashing of device names into shards.
pub mod shard;
