//! Integration tests: the whole server in-process on 127.0.0.1:0, no network.

mod access;
mod admission;
mod batches;
mod batches_proxy;
mod binary;
mod budgets;
mod common;
mod concurrency;
mod delivery;
mod edits;
mod faults;
mod forward;
mod generations;
mod guard;
mod hygiene;
mod jobs;
mod jobs_binary;
mod journal;
mod limits;
mod perf;
mod shared_limits;
mod static_files;
mod streaming;
mod stub;
mod transport;
