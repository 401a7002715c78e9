//! Vendor profiles: how to talk to a platform and what to collect, as data.
//!
//! Profiles are TOML files in `vendor-profiles/`, compiled in with `include_str!`; directories named in
//! config may add profiles or override built-in ones. Loading validates every regex and fact name up front,
//! so a broken profile is reported with its file and key before any device is contacted. This module and
//! its parsers do no network I/O.
//!
//! - `model`: what a validated profile says (facts, probes, transports, the signature policy).
//! - `load`: the built-ins and profile directories, TOML in, every problem reported at once.
//! - `dialog`: the interactive shell and detection specs.
//! - `parse`, `builtin`: a probe's output into facts, and the built-in parsers by name.
//! - [`redaction`]: the one function that takes secrets out of kept and shown output.
//! - [`listing`], [`containers`], [`snapshots`]: the strict, bounded parsers of what devices list.

mod builtin;
pub mod containers;
mod dialog;
#[cfg(test)]
mod fixtures;
pub mod listing;
mod load;
mod model;
mod parse;
pub mod redaction;
pub mod snapshots;

pub use builtin::{Parsed, Parser};
pub use dialog::{Detect, EnableSpec, ShellSpec};
pub use load::{BUILTIN, ProfileError, Profiles};
pub use model::{Extract, Fact, PathStyle, Probe, Profile, PullMethod, SignaturePolicy, Transport};
pub use parse::{
    ProbeError, ProbeFacts, apply_probe, apply_probe_lenient, apply_probe_to, boot_image_list,
    image_dir, same_image_path,
};
