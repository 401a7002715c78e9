//! End-to-end tests: the real netattest binary over real SSH on loopback, against the built-in lab and
//! against a real OpenSSH sshd.

mod baseline;
mod catalog;
mod cli;
mod deploy;
mod disk;
mod evidence;
mod formats;
mod interop_files;
mod inventory;
mod jump;
mod lab_e2e;
mod ledger;
mod platforms;
mod scenarios;
mod secrets;
mod shard;
mod spot;
mod sshd;
mod support;
mod verdicts;
