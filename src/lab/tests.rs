//! End-to-end tests of the lab over real TCP with a russh client.
