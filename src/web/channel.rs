//! BroadcastChannel: the only module that touches it. Tabs of the app tell each other which
//! records they wrote, so every tab sees the others' changes (and re-reads them from
//! IndexedDB, the source of truth, rather than trusting the message).

use wasm_bindgen::{prelude::*, JsCast};
use web_sys::{BroadcastChannel, MessageEvent};

/// A channel to the app's other tabs; closed when dropped.
pub struct Channel {
    channel: BroadcastChannel,
    _listener: Option<Closure<dyn FnMut(MessageEvent)>>,
}

impl Channel {
    /// Joins the channel `name`; `on_message` gets the text other tabs post.
    pub fn open(name: &str, mut on_message: impl FnMut(String) + 'static) -> Option<Channel> {
        let channel = BroadcastChannel::new(name).ok()?;
        let listener = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            if let Some(text) = ev.data().as_string() {
                on_message(text);
            }
        });
        channel.set_onmessage(Some(listener.as_ref().unchecked_ref()));
        Some(Channel {
            channel,
            _listener: Some(listener),
        })
    }

    /// Posts `text` to the other tabs (not to this one).
    pub fn post(&self, text: &str) {
        let _ = self.channel.post_message(&JsValue::from_str(text));
    }
}

impl Drop for Channel {
    fn drop(&mut self) {
        self.channel.set_onmessage(None);
        self.channel.close();
    }
}
