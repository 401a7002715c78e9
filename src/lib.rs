//! netattest: verifies the integrity of network appliances over SSH.
//!
//! The pipeline is `collect` (the only network I/O) → `verify` (pure) → `report` (pure data, then
//! renderers). The binary in `src/bin/netattest` is the only place that prints.
#![forbid(unsafe_code)]

pub mod baseline;
pub mod catalog;
pub mod collect;
pub mod config;
pub mod consensus;
pub mod detect;
pub mod diff;
pub mod digest;
pub mod engine;
pub mod evidence;
pub mod finding;
pub mod fleet;
pub mod inventory;
pub mod lab;
pub mod profile;
pub mod report;
pub mod runs;
pub mod sanitize;
pub mod ssh;
pub mod state;
pub mod verdict;
pub mod verify;
