//! Behaviour without markup: the shared state, the saved series (library, migration, the
//! saver, cross-tab sync, storage governance), the images client, the batch runner and
//! reference images. Components call into here.

pub mod batch;
pub mod boot;
pub mod brief;
pub mod checks;
pub mod client;
pub mod consistency;
pub mod derived;
pub mod describe;
pub mod edit;
pub mod edits;
pub mod export;
pub mod frame_job;
pub mod guard;
pub mod history;
pub mod images;
pub mod import;
pub mod job_client;
pub mod library;
pub mod migrate;
pub mod model_dates;
pub mod recovery;
pub mod references;
pub mod route;
pub mod runner;
pub mod said;
pub mod saver;
pub mod selection;
pub mod settings;
pub mod state;
pub mod storage;
pub mod sync;
pub mod text_call;
