#![cfg(feature = "store")]
//! Proofs, on the pinned `reactive_stores`, of what the UI relies on (see the architecture
//! note: stores have had bugs exactly here). Run with `--features store`.

use continuity_core::model::frame::FrameStoreFields;
use continuity_core::model::series::SeriesStoreFields;
use continuity_core::model::template::Template;
use continuity_core::model::Series;
use reactive_graph::effect::Effect;
use reactive_graph::owner::Owner;
use reactive_graph::traits::*;
use reactive_stores::Store;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

fn series() -> Series {
    let mut n = 0;
    Series::from_template("x", Template::Comic, "m", 1.0, || {
        n += 1;
        n
    })
}

/// Found here: in reactive_stores 0.4.4, when the first access to a keyed field is a *write*
/// through `at_key`, the key map is initialised while the write lock is held, so it comes out
/// empty and the write (and every later access) silently fails. The app therefore refreshes
/// the keys right after creating a store (`app::sync::refresh_keys`); this test pins both
/// the bug and the workaround, so an upgrade that fixes it is noticed.
#[test]
fn a_first_keyed_write_needs_initialised_keys() {
    let owner = Owner::new();
    owner.set();
    let s = series();
    let fid = s.frames[1].id.clone();
    let broken = Store::new(s.clone());
    broken
        .frames()
        .at_key(fid.clone())
        .update(|f| f.prompt = "lost".into());
    assert_eq!(broken.get_untracked().frames[1].prompt, "", "the 0.4.4 bug");

    let store = Store::new(s);
    store.frames().update_keys();
    store
        .frames()
        .at_key(fid.clone())
        .update(|f| f.prompt = "kept".into());
    assert_eq!(store.get_untracked().frames[1].prompt, "kept");
    store
        .frames()
        .at_key(fid.clone())
        .prompt()
        .set("set".into());
    assert_eq!(
        store.frames().at_key(fid).prompt().try_get().as_deref(),
        Some("set")
    );
}

/// A keyed `Vec` with `String` keys iterates, and editing one item notifies only that item
/// (the other frames' effects do not run again).
#[tokio::test]
async fn an_edit_of_one_frame_notifies_that_frame_only() {
    let _ = any_spawner::Executor::init_tokio();
    // Effects run as local tasks.
    tokio::task::LocalSet::new()
        .run_until(one_frame_only())
        .await;
}

async fn one_frame_only() {
    let owner = Owner::new();
    owner.set();
    let s = series();
    let ids: Vec<String> = s.frame_order.clone();
    let store = Store::new(s);
    store.frames().update_keys();
    let counts: Vec<Arc<AtomicUsize>> = ids.iter().map(|_| Arc::new(AtomicUsize::new(0))).collect();
    for (id, count) in ids.iter().zip(&counts) {
        let frame = store.frames().at_key(id.clone());
        let count = count.clone();
        Effect::new(move |_| {
            frame.track();
            count.fetch_add(1, Ordering::SeqCst);
        });
    }
    let order_runs = Arc::new(AtomicUsize::new(0));
    let order_count = order_runs.clone();
    Effect::new(move |_| {
        store.frame_order().track();
        order_count.fetch_add(1, Ordering::SeqCst);
    });
    any_spawner::Executor::tick().await;
    let before: Vec<usize> = counts.iter().map(|c| c.load(Ordering::SeqCst)).collect();
    store
        .frames()
        .at_key(ids[2].clone())
        .prompt()
        .set("typed".into());
    any_spawner::Executor::tick().await;
    let after: Vec<usize> = counts.iter().map(|c| c.load(Ordering::SeqCst)).collect();
    for i in 0..ids.len() {
        let expected = before[i] + usize::from(i == 2);
        assert_eq!(after[i], expected, "frame {i}");
    }
    assert_eq!(
        order_runs.load(Ordering::SeqCst),
        1,
        "the grid's order is not touched"
    );
    let keys: Vec<String> = store
        .frames()
        .with_untracked(|fs| fs.iter().map(|f| f.id.clone()).collect());
    assert_eq!(keys, ids, "keyed iteration keeps the order");
}
