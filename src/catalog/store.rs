//! The catalog store.
