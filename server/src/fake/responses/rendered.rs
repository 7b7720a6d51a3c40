//! What the fake has drawn: the SHA-256 of every image it returned, with the prompt it was
//! drawn from. A check call (`continuity_check_result`) that sends one of those images back
//! is answered from what the fake knows it rendered, as a real vision model reads what is
//! really in the image: a prompt carrying [`TYPO_MARKER`] was "drawn" with a typo.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

/// A prompt marker: the images drawn from it read back with one character changed.
pub const TYPO_MARKER: &str = "[[typo]]";
/// Images remembered; the oldest are forgotten first.
pub const CAPACITY: usize = 4096;

/// The registry (bounded, thread-safe).
#[derive(Debug, Default)]
pub struct RenderedPrompts {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    prompts: HashMap<[u8; 32], String>,
    order: VecDeque<[u8; 32]>,
}

impl RenderedPrompts {
    /// Remembers that `image` (the bytes returned) was drawn from `prompt`.
    pub fn record(&self, image: &[u8], prompt: &str) {
        let key: [u8; 32] = Sha256::digest(image).into();
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if inner.prompts.insert(key, prompt.to_string()).is_none() {
            inner.order.push_back(key);
        }
        while inner.order.len() > CAPACITY {
            if let Some(old) = inner.order.pop_front() {
                inner.prompts.remove(&old);
            }
        }
    }

    /// The prompt `image` was drawn from, if the fake drew it.
    pub fn prompt_of(&self, image: &[u8]) -> Option<String> {
        let key: [u8; 32] = Sha256::digest(image).into();
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.prompts.get(&key).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_the_newest_images() {
        let r = RenderedPrompts::default();
        r.record(b"a", "first [[typo]]");
        assert_eq!(r.prompt_of(b"a").as_deref(), Some("first [[typo]]"));
        assert_eq!(r.prompt_of(b"b"), None);
        for i in 0..CAPACITY {
            r.record(&i.to_le_bytes(), "x");
        }
        assert_eq!(r.prompt_of(b"a"), None, "the oldest is forgotten");
        assert!(r.prompt_of(&(CAPACITY - 1).to_le_bytes()).is_some());
    }
}
