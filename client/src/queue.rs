//! The hand-off between callers and a connection's driver.
//!
//! Callers encode their command straight into the queue's write buffer and
//! push their reply slot in the same critical section, so the order of bytes
//! and the order of slots always agree (FIFO reply matching depends on it),
//! and no per-command buffer is allocated. The driver swaps the whole buffer
//! out in one step and writes everything queued with one syscall: that is the
//! automatic pipelining. The lock is never held across an await.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};
use std::task::{Context, Waker};

use bytes::{Bytes, BytesMut};
use tokio::sync::oneshot;

use crate::error::{Error, Outcome};

/// Where replies go: the caller's end of a oneshot, for one reply or for a
/// batch of them (a pipeline, a transaction). A caller that went away leaves a
/// closed slot; its replies are still read, then dropped.
pub(crate) enum Slot {
    /// One command's reply.
    One {
        tx: oneshot::Sender<Result<Bytes, Error>>,
        /// The length of the command's encoding in the write buffer.
        len: usize,
        /// A read-only command that may be sent again once if its connection is
        /// lost before the reply: its bytes are kept until the reply arrives.
        retry: bool,
    },
    /// A cacheable read's reply, which the driver also keeps in the
    /// client-side cache under the encoded `command`.
    Cached {
        command: Bytes,
        tx: oneshot::Sender<Result<Bytes, Error>>,
        /// The length of the command's encoding in the write buffer.
        len: usize,
    },
    /// A batch's replies, collected until `expected` have arrived.
    Batch {
        /// The length of the batch's encoding in the write buffer.
        len: usize,
        expected: usize,
        frames: Vec<Bytes>,
        tx: oneshot::Sender<Result<Vec<Bytes>, Error>>,
    },
}

impl Slot {
    /// A slot for one command's reply (its length is set when it is queued).
    pub fn one(tx: oneshot::Sender<Result<Bytes, Error>>, retry: bool) -> Slot {
        Slot::One { tx, len: 0, retry }
    }

    /// Fails the slot with `error`.
    pub fn fail(self, error: Error) {
        match self {
            Slot::One { tx, .. } | Slot::Cached { tx, .. } => {
                let _ = tx.send(Err(error));
            }
            Slot::Batch { tx, .. } => {
                let _ = tx.send(Err(error));
            }
        }
    }

    /// The bytes this slot's command keeps for a retry (see [`Slot::One`]).
    pub fn kept(&self) -> usize {
        match self {
            Slot::One {
                len, retry: true, ..
            } => *len,
            _ => 0,
        }
    }

    /// The length of the slot's encoding in the write buffer.
    pub fn len(&self) -> usize {
        match self {
            Slot::One { len, .. } | Slot::Cached { len, .. } | Slot::Batch { len, .. } => *len,
        }
    }

    /// Commands of this slot whose reply has not arrived.
    pub fn awaiting(&self) -> u64 {
        match self {
            Slot::One { .. } | Slot::Cached { .. } => 1,
            Slot::Batch {
                expected, frames, ..
            } => (expected - frames.len()) as u64,
        }
    }

    /// True for a read-only command whose caller still waits: worth sending again.
    pub fn retryable(&self) -> bool {
        matches!(self, Slot::One { retry: true, tx, .. } if !tx.is_closed())
    }
}

#[derive(Default)]
pub(crate) struct Queue {
    state: Mutex<State>,
    stats: Stats,
    /// Set when the connection's task ended for good.
    pub finished: std::sync::atomic::AtomicBool,
    /// The connection is to be dropped now, without waiting for replies in flight.
    pub aborted: std::sync::atomic::AtomicBool,
    /// The connection is to be replaced: the driver drops it as if it were
    /// lost, and the reconnect loop makes a new one (the master moved).
    pub kicked: std::sync::atomic::AtomicBool,
    pub finished_signal: tokio::sync::Notify,
    /// The client-side cache, when the client has one.
    cache: Option<crate::cache::Cache>,
}

/// Counters a user can read (see `Client::stats`).
#[derive(Default)]
pub(crate) struct Stats {
    pub commands: std::sync::atomic::AtomicU64,
    pub replies: std::sync::atomic::AtomicU64,
    pub pushes: std::sync::atomic::AtomicU64,
    pub retried: std::sync::atomic::AtomicU64,
    pub failed: std::sync::atomic::AtomicU64,
    pub reconnects: std::sync::atomic::AtomicU64,
}

#[derive(Default)]
struct State {
    buf: BytesMut,
    slots: VecDeque<Slot>,
    driver: Option<Waker>,
    /// Set once the connection is gone or the client closed: new commands fail at once.
    closed: Option<Error>,
    /// The last handle went away: the driver finishes what is in flight and exits.
    released: bool,
}

/// What the driver takes from the queue in one step.
pub(crate) enum Taken {
    /// Bytes to write and the slots for their replies, in order.
    Work,
    /// Nothing queued; the driver's waker is registered.
    Idle,
    /// No more work will come.
    Released,
}

impl Queue {
    /// A queue whose client keeps a client-side cache of `entries` replies.
    pub fn with_cache(entries: Option<usize>) -> Queue {
        Queue {
            cache: entries.map(crate::cache::Cache::new),
            ..Queue::default()
        }
    }

    /// The client-side cache, when the client has one.
    pub fn cache(&self) -> Option<&crate::cache::Cache> {
        self.cache.as_ref()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while encoding (a user iterator) leaves the buffer truncated
        // back to the last whole command by `ArgWriter`'s drop, so the state
        // is still consistent: ignore the poison.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Encodes a command with `encode` and queues `slot` for its reply.
    pub fn push(
        &self,
        encode: impl FnOnce(&mut BytesMut),
        slot: Slot,
    ) -> Result<(), (Error, Slot)> {
        let waker = {
            let mut state = self.lock();
            if let Some(e) = &state.closed {
                return Err((e.clone(), slot));
            }
            let start = state.buf.len();
            encode(&mut state.buf);
            let mut slot = slot;
            let commands = match &mut slot {
                Slot::One { len, .. } | Slot::Cached { len, .. } => {
                    *len = state.buf.len() - start;
                    1
                }
                Slot::Batch { expected, len, .. } => {
                    *len = state.buf.len() - start;
                    *expected as u64
                }
            };
            self.stats
                .commands
                .fetch_add(commands, std::sync::atomic::Ordering::Relaxed);
            state.slots.push_back(slot);
            state.driver.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
        Ok(())
    }

    /// Moves everything queued into `buf` and `slots` (both empty on entry).
    pub fn take(
        &self,
        cx: &mut Context<'_>,
        buf: &mut BytesMut,
        slots: &mut VecDeque<Slot>,
    ) -> Taken {
        let mut state = self.lock();
        if state.buf.is_empty() {
            if state.released {
                return Taken::Released;
            }
            if !state
                .driver
                .as_ref()
                .is_some_and(|w| w.will_wake(cx.waker()))
            {
                state.driver = Some(cx.waker().clone());
            }
            return Taken::Idle;
        }
        std::mem::swap(&mut state.buf, buf);
        slots.append(&mut state.slots);
        Taken::Work
    }

    /// Fails every command queued but not yet taken by the driver (they were
    /// never sent), keeping the queue open for new ones.
    pub fn fail_queued(&self, error: Error) {
        let slots = {
            let mut state = self.lock();
            state.buf.clear();
            std::mem::take(&mut state.slots)
        };
        self.fail_slots(slots, error);
    }

    /// Fails `slots`, counting their commands as failed.
    pub fn fail_slots(&self, slots: impl IntoIterator<Item = Slot>, error: Error) {
        let mut failed = 0;
        for slot in slots {
            failed += slot.awaiting();
            slot.fail(error.clone());
        }
        self.stats
            .failed
            .fetch_add(failed, std::sync::atomic::Ordering::Relaxed);
    }

    /// Puts commands that were sent on a lost connection back at the front of
    /// the queue (read-only commands sent again once: `bytes` holds their
    /// encodings in the order of `slots`).
    pub fn requeue_front(&self, bytes: &[u8], slots: Vec<Slot>) {
        if slots.is_empty() {
            return;
        }
        let mut state = self.lock();
        if let Some(e) = state.closed.clone() {
            drop(state);
            self.fail_slots(slots, e);
            return;
        }
        let mut buf = BytesMut::with_capacity(bytes.len() + state.buf.len());
        buf.extend_from_slice(bytes);
        buf.extend_from_slice(&state.buf);
        state.buf = buf;
        self.stats
            .retried
            .fetch_add(slots.len() as u64, std::sync::atomic::Ordering::Relaxed);
        for slot in slots.into_iter().rev() {
            state.slots.push_front(slot);
        }
    }

    /// Refuses new commands with `error` for good and fails everything queued
    /// (a connection that does not reconnect was lost).
    pub fn shut(&self, error: Error) {
        let slots = {
            let mut state = self.lock();
            state.released = true;
            if state.closed.is_none() {
                state.closed = Some(error.clone());
            }
            state.buf.clear();
            std::mem::take(&mut state.slots)
        };
        self.fail_slots(slots, error);
    }

    /// Refuses new commands with `why` and lets the driver finish what is queued
    /// and in flight, then stop (the last handle went away, or `close`).
    pub fn release(&self, why: &str) {
        let waker = {
            let mut state = self.lock();
            state.released = true;
            if state.closed.is_none() {
                state.closed = Some(Error::closed(Outcome::NotSent, why));
            }
            state.driver.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Closes the connection at once: commands in flight fail with an
    /// unknown outcome (a pooled connection given up while it still waited
    /// for a blocking command, which would hold the socket open until then).
    pub fn abort(&self, why: &str) {
        self.aborted
            .store(true, std::sync::atomic::Ordering::Release);
        self.release(why);
    }

    /// Makes the driver drop its connection and reconnect.
    pub fn kick(&self) {
        self.kicked
            .store(true, std::sync::atomic::Ordering::Release);
        let waker = self.lock().driver.take();
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// True once the last handle went away or the client was closed.
    pub fn is_released(&self) -> bool {
        self.lock().released
    }

    /// Counts commands and replies for the client's statistics.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// True once the queue refuses new commands.
    pub fn is_closed(&self) -> bool {
        self.lock().closed.is_some()
    }
}
