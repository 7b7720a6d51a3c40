//! Behaviour without markup: the shared state, the open series and its persistence, the
//! images client, the batch runner and reference images. Components call into here.

pub mod client;
pub mod references;
pub mod runner;
pub mod state;
