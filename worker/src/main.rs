//! continuity-worker, the pixel worker: Continuity's pixel work in a dedicated Web Worker, off
//! the main thread and out of the main bundle. Its operations are in [`ops`]; the protocol and
//! the message loop it shares with the files worker (`files-worker/`) are this package's
//! library (`src/lib.rs`). It answers no control message: `cancel-exports` is the files
//! worker's.

mod ops;

fn main() {
    continuity_worker::serve(ops::answer, |_| false);
}
