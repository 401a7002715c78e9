//! netattest: verifies the integrity of network appliances over SSH.
#![forbid(unsafe_code)]

pub mod lab;
