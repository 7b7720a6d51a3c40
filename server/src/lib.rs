//! Continuity's companion server.
//!
//! It serves the built web app (`dist/`), and for the image routes either fakes the OpenAI
//! Images API (strict validation, deterministic real images, fault injection, a request
//! journal) or forwards requests to the real API with a server-side key.
//!
//! The binary (`main.rs`) only parses the command line; everything else lives here so that
//! tests can run the whole server in-process through [`build_app`].

pub mod app;
pub mod cli;
pub mod config;
pub mod errors;
pub mod fake;
pub mod forward;
pub mod log;
pub mod static_files;

pub use app::build_app;
pub use config::{ApiKey, Config, FakeConfig, ForwardConfig, Provider};
