//! A thin native driver of the app's pure scheduler, mirroring `src/runner.rs`: start what
//! [`Batch::start_next`] allows, and on each completion report it and start more.

use std::time::{Duration, Instant};

use bytes::Bytes;
use continuity_core::scheduler::{Batch, Job, JobState, Outcome};
use tokio::task::JoinSet;

use crate::api::{Api, FrameImage, FrameRequest};

/// The result of one series.
#[derive(Debug, Clone)]
pub struct RunResult {
    /// Wall time from the first start to the last report.
    pub makespan: Duration,
    /// Every job's final state, in plan order.
    pub states: Vec<(String, JobState)>,
    /// Sum of the reported costs.
    pub spent_usd: f64,
}

/// The id of frame `i` (0-based); frame 0 is the anchor.
pub fn frame_id(i: usize) -> String {
    format!("frame-{:02}", i + 1)
}

/// An anchor-first plan, as `Plan::jobs` builds it: the anchor, then `frames - 1` jobs that
/// each start only after it.
pub fn anchor_first_jobs(frames: usize, estimate_usd: f64) -> Vec<Job> {
    (0..frames)
        .map(|i| Job {
            id: frame_id(i),
            after: (i > 0).then(|| frame_id(0)),
            estimate_usd,
        })
        .collect()
}

fn prompt(i: usize, frames: usize) -> String {
    // A distinct prompt per frame, so the fake renders (and journals) distinct requests.
    format!(
        "Storyboard panel {} of {frames}. A fox courier in a yellow raincoat crosses a rainy \
         tram stop at dusk; keep the character, palette and framing of image 1.",
        i + 1
    )
}

/// Runs one anchor-first series of `frames` frames at `concurrency` through [`Batch`].
///
/// Fails (with the frame and the reason) as soon as any request fails: the benchmark measures
/// successful series only.
pub async fn run_series(api: &Api, frames: usize, concurrency: usize) -> Result<RunResult, String> {
    let jobs = anchor_first_jobs(frames, api.estimate_usd());
    let mut batch =
        Batch::new(jobs, concurrency, None).map_err(|e| format!("invalid plan: {e}"))?;
    let anchor_id = frame_id(0);
    let mut anchor: Option<Bytes> = None;
    // Dropping the set (on an early error) aborts the requests still in flight.
    let mut in_flight: JoinSet<(String, Result<FrameImage, String>)> = JoinSet::new();
    let first_start = Instant::now();
    let mut last_report = first_start;
    loop {
        for id in batch.start_next() {
            let index = frame_index(&id).ok_or_else(|| format!("unknown job id {id}"))?;
            let request = if id == anchor_id {
                FrameRequest::Generation {
                    prompt: prompt(index, frames),
                }
            } else {
                // The scheduler starts dependents only once the anchor is Done, and the anchor
                // image is kept before that report.
                let anchor = anchor
                    .clone()
                    .ok_or_else(|| format!("{id} started before the anchor image existed"))?;
                FrameRequest::Edit {
                    prompt: prompt(index, frames),
                    anchor,
                }
            };
            let api = api.clone();
            in_flight.spawn(async move {
                let result = api.send(request).await;
                (id, result)
            });
        }
        if batch.is_finished() {
            break;
        }
        let Some(joined) = in_flight.join_next().await else {
            return Err("the scheduler started nothing although the batch is not finished".into());
        };
        let (id, result) = joined.map_err(|e| format!("a request task panicked: {e}"))?;
        let image = result.map_err(|e| format!("{id}: {e}"))?;
        if id == anchor_id {
            anchor = Some(image.png.clone());
        }
        batch.report(
            &id,
            Outcome::Done {
                cost_usd: image.cost_usd,
            },
        );
        last_report = Instant::now();
    }
    Ok(RunResult {
        makespan: last_report - first_start,
        states: batch
            .states()
            .map(|(id, state)| (id.to_string(), state.clone()))
            .collect(),
        spent_usd: batch.spent_usd(),
    })
}

fn frame_index(id: &str) -> Option<usize> {
    id.strip_prefix("frame-")?
        .parse::<usize>()
        .ok()?
        .checked_sub(1)
}

/// Checks the fake's journal of one series: the anchor generation first, then `frames - 1`
/// edits each carrying exactly one `image[]` of the series size, all answered 200.
pub fn check_journal(entries: &[serde_json::Value], frames: usize) -> Result<(), String> {
    if entries.len() != frames {
        return Err(format!(
            "the fake journaled {} requests, expected {frames}",
            entries.len()
        ));
    }
    for (i, entry) in entries.iter().enumerate() {
        let expected = if i == 0 { "generations" } else { "edits" };
        if entry["endpoint"] != expected {
            return Err(format!(
                "request {} went to {}, expected {expected}",
                i + 1,
                entry["endpoint"]
            ));
        }
        if entry["status"] != 200 {
            return Err(format!(
                "request {} was answered {}",
                i + 1,
                entry["status"]
            ));
        }
        let images = entry["images"].as_array().map_or(0, Vec::len);
        let wanted = usize::from(i > 0);
        if images != wanted {
            return Err(format!(
                "request {} carried {images} images, expected {wanted}",
                i + 1
            ));
        }
        if i > 0 {
            let image = &entry["images"][0];
            let size = (image["width"].as_u64(), image["height"].as_u64());
            let want = (
                Some(u64::from(crate::api::SIZE.width)),
                Some(u64::from(crate::api::SIZE.height)),
            );
            if image["field"] != "image[]" || size != want {
                return Err(format!(
                    "request {} sent an unexpected image: {image}",
                    i + 1
                ));
            }
        }
    }
    Ok(())
}
