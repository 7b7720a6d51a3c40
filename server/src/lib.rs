//! Continuity's companion server.
//!
//! It serves the built web app (`dist/`), and for the image routes either fakes the OpenAI
//! Images API (strict validation, deterministic real images, fault injection, a request
//! journal, Files and Batches) or forwards requests to the real API with a server-side key,
//! only for its own origin, with access tokens and per-token limits ([`proxy`], [`tokens`],
//! [`limits`]). Image requests with a job id are recoverable in both modes ([`jobs`]).
//!
//! The binary (`main.rs`) only parses the command line; everything else lives here so that
//! tests can run the whole server in-process through [`build_app`].

pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod delivery;
pub mod errors;
pub mod fake;
pub mod jobs;
pub mod limits;
pub mod log;
pub mod proxy;
pub mod static_files;
pub mod tokens;
pub mod transport;

pub use app::build_app;
pub use config::{AccessConfig, ApiKey, Config, FakeConfig, ForwardConfig, Provider};
