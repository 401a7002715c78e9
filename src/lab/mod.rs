//! The simulated lab.
