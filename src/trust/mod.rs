//! Trust material: signed baselines, vendor catalogs and their signatures, and the state directory that holds
//! them. Everything here fails closed: material that does not verify is reported and never used.

pub mod agent;
pub mod baseline;
pub mod bundle;
pub mod catalog;
pub mod ledger;
pub mod pin_intent;
pub mod runs;
pub mod signed;
pub mod state;
