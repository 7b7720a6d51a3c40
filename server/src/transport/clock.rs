//! hyper's header-read timer, taught the difference between a request head on its way and a
//! kept-alive connection waiting for its next request.
//!
//! hyper starts its header timer whenever it begins waiting for a request head: right after
//! the accept, and again each time a response is complete on a kept-alive connection. The
//! timer given to hyper here ignores hyper's deadline and computes its own from the
//! connection's [`Activity`] (the socket notes the first byte of each head):
//! - a byte of the head has arrived: `header_timeout` after that byte;
//! - nothing yet on a new connection: `header_timeout` after the accept;
//! - nothing yet after a previous request: `idle_timeout` after the connection went idle.
//!
//! The deadline is recomputed every time hyper polls the timer, which it does after every read
//! of the socket, so a first byte that moves it earlier takes effect at once.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper::rt::{Sleep, Timer};

/// What a connection has been doing, shared by its socket ([`super::io::Watched`]), its timer
/// and its service.
#[derive(Debug)]
pub struct Activity {
    header_timeout: Duration,
    idle_timeout: Duration,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// When hyper began waiting for the current head.
    waiting_since: Instant,
    /// Whether hyper is waiting for a head (no request of ours is being answered).
    awaiting_head: bool,
    /// The first byte of the current head.
    first_byte: Option<Instant>,
    /// Requests handed to the router on this connection.
    served: u64,
    /// The header timer fired after part of a head had arrived (then the client gets a 408).
    head_timed_out: bool,
}

impl Activity {
    /// A new connection, accepted now.
    pub fn new(header_timeout: Duration, idle_timeout: Duration) -> Arc<Self> {
        Arc::new(Self {
            header_timeout,
            idle_timeout,
            state: Mutex::new(State {
                waiting_since: Instant::now(),
                awaiting_head: true,
                first_byte: None,
                served: 0,
                head_timed_out: false,
            }),
        })
    }

    /// The idle keep-alive timeout (also the longest a write may wait for the client).
    pub fn idle_timeout(&self) -> Duration {
        self.idle_timeout
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// hyper began waiting for a request head.
    fn waiting(&self) {
        let mut s = self.state();
        s.waiting_since = Instant::now();
        s.awaiting_head = true;
        s.first_byte = None;
    }

    /// Bytes arrived from the client.
    pub fn bytes_read(&self) {
        let mut s = self.state();
        if s.awaiting_head && s.first_byte.is_none() {
            s.first_byte = Some(Instant::now());
        }
    }

    /// A request head was parsed and handed to the router.
    pub fn request_started(&self) {
        let mut s = self.state();
        s.awaiting_head = false;
        s.first_byte = None;
        s.served += 1;
    }

    /// Whether hyper is between requests (what it writes then is its own error answer).
    pub fn awaiting_head(&self) -> bool {
        self.state().awaiting_head
    }

    /// Whether the connection was closed because a started head did not complete in time.
    pub fn head_timed_out(&self) -> bool {
        self.state().head_timed_out
    }

    /// When the head hyper is waiting for is overdue.
    fn deadline(&self) -> Instant {
        let s = self.state();
        match s.first_byte {
            Some(first) => first + self.header_timeout,
            None if s.served == 0 => s.waiting_since + self.header_timeout,
            None => s.waiting_since + self.idle_timeout,
        }
    }

    /// The timer fired: remember whether a head was cut short.
    fn expired(&self) {
        let mut s = self.state();
        s.head_timed_out = s.first_byte.is_some();
    }
}

/// The timer handed to hyper for one connection.
#[derive(Debug, Clone)]
pub struct ConnTimer(Arc<Activity>);

impl ConnTimer {
    /// The timer of the connection whose activity this is.
    pub fn new(activity: Arc<Activity>) -> Self {
        Self(activity)
    }
}

impl Timer for ConnTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Sleep>> {
        // Not used by hyper's HTTP/1 server; a plain sleep keeps the contract.
        Box::pin(PlainSleep(Box::pin(tokio::time::sleep(duration))))
    }

    fn sleep_until(&self, _deadline: Instant) -> Pin<Box<dyn Sleep>> {
        self.0.waiting();
        let deadline = self.0.deadline();
        Box::pin(HeadSleep {
            activity: Arc::clone(&self.0),
            sleep: Box::pin(tokio::time::sleep_until(deadline.into())),
        })
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn Sleep>>, new_deadline: Instant) {
        *sleep = self.sleep_until(new_deadline);
    }
}

/// hyper's wait for a request head.
struct HeadSleep {
    activity: Arc<Activity>,
    sleep: Pin<Box<tokio::time::Sleep>>,
}

impl Future for HeadSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let deadline = self.activity.deadline();
        if Instant::now() >= deadline {
            self.activity.expired();
            return Poll::Ready(());
        }
        if self.sleep.deadline() != deadline.into() {
            self.sleep.as_mut().reset(deadline.into());
        }
        match self.sleep.as_mut().poll(cx) {
            Poll::Ready(()) => {
                self.activity.expired();
                Poll::Ready(())
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Sleep for HeadSleep {}

/// Any other sleep hyper asks for.
struct PlainSleep(Pin<Box<tokio::time::Sleep>>);

impl Future for PlainSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.0.as_mut().poll(cx)
    }
}

impl Sleep for PlainSleep {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_follow_the_connection() {
        let header = Duration::from_secs(10);
        let idle = Duration::from_secs(75);
        let a = Activity::new(header, idle);
        let accepted = a.state().waiting_since;
        // New connection, nothing sent: the header timeout from the accept.
        assert_eq!(a.deadline(), accepted + header);
        a.bytes_read();
        let first = a.state().first_byte.expect("noted");
        assert_eq!(a.deadline(), first + header);
        a.request_started();
        assert!(!a.awaiting_head());
        // Between requests: the idle timeout from when hyper began waiting.
        a.waiting();
        let idle_since = a.state().waiting_since;
        assert_eq!(a.deadline(), idle_since + idle);
        a.bytes_read();
        let first = a.state().first_byte.expect("noted");
        assert_eq!(a.deadline(), first + header);
        a.expired();
        assert!(a.head_timed_out());
    }
}
