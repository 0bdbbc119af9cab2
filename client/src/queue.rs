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
    One(oneshot::Sender<Result<Bytes, Error>>),
    /// A batch's replies, collected until `expected` have arrived.
    Batch {
        expected: usize,
        frames: Vec<Bytes>,
        tx: oneshot::Sender<Result<Vec<Bytes>, Error>>,
    },
}

impl Slot {
    /// Commands of this slot whose reply has not arrived yet.
    pub fn awaiting(&self) -> u64 {
        match self {
            Slot::One(_) => 1,
            Slot::Batch {
                expected, frames, ..
            } => (*expected - frames.len()) as u64,
        }
    }

    /// Fails the slot with `error`.
    pub fn fail(self, error: Error) {
        match self {
            Slot::One(tx) => {
                let _ = tx.send(Err(error));
            }
            Slot::Batch { tx, .. } => {
                let _ = tx.send(Err(error));
            }
        }
    }
}

#[derive(Default)]
pub(crate) struct Queue {
    state: Mutex<State>,
    stats: Stats,
    /// Set when the connection's task ended for good.
    pub finished: std::sync::atomic::AtomicBool,
    pub finished_signal: tokio::sync::Notify,
}

/// Counters a user can read (see `Client::stats`).
#[derive(Default)]
pub(crate) struct Stats {
    pub commands: std::sync::atomic::AtomicU64,
    pub replies: std::sync::atomic::AtomicU64,
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
            encode(&mut state.buf);
            let commands = match &slot {
                Slot::One(_) => 1,
                Slot::Batch { expected, .. } => *expected as u64,
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
        let failed = slots.iter().map(Slot::awaiting).sum();
        self.stats
            .failed
            .fetch_add(failed, std::sync::atomic::Ordering::Relaxed);
        for slot in slots {
            slot.fail(error.clone());
        }
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
