//! The client-side cache: replies of cacheable reads, kept fresh by the
//! server's invalidation pushes (`CLIENT TRACKING` on RESP3). The policy is
//! documented on [`Config::client_cache`](crate::Config::client_cache).
//!
//! Entries are keyed by the command's encoded bytes (name and arguments) and
//! indexed by the Redis key they read, which is the command's first argument
//! for every command flagged `CACHEABLE`. Replies are inserted by the
//! connection's driver when it hands the reply out, and invalidations are
//! applied by the same driver as they arrive, in the order the server sent
//! both: a reply followed by its key's invalidation is always removed.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Mutex, MutexGuard};

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::oneshot;

use crate::command::Command;
use crate::connection::{Resp, Wire};
use crate::error::{Error, ErrorKind, Outcome, Result};
use crate::queue::{Queue, Slot};
use crate::resp::{ArgWriter, Item, Reader};

pub(crate) struct Cache {
    state: Mutex<State>,
    capacity: usize,
    hits: AtomicU64,
    misses: AtomicU64,
    invalidations: AtomicU64,
}

#[derive(Default)]
struct State {
    /// Encoded command -> (its reply frame, the key it read).
    entries: HashMap<Bytes, (Bytes, Bytes)>,
    /// Redis key -> the encoded commands cached for it.
    by_key: HashMap<Bytes, Vec<Bytes>>,
    /// Insertion order for eviction; may name entries already gone.
    order: VecDeque<Bytes>,
}

impl State {
    fn remove_key(&mut self, key: &[u8]) {
        if let Some(commands) = self.by_key.remove(key) {
            for command in commands {
                self.entries.remove(&command);
            }
        }
    }

    fn remove_command(&mut self, command: &Bytes) {
        if let Some((_, key)) = self.entries.remove(command) {
            if let Some(commands) = self.by_key.get_mut(&key) {
                commands.retain(|c| c != command);
                if commands.is_empty() {
                    self.by_key.remove(&key);
                }
            }
        }
    }
}

/// What the client-side cache has done (see [`Client::cache_stats`](crate::Client::cache_stats)).
///
/// ```no_run
/// # async fn demo(client: redtyped::Client) -> redtyped::Result<()> {
/// if let Some(stats) = client.cache_stats() {
///     println!("{} hits, {} misses, {} cached", stats.hits, stats.misses, stats.entries);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct CacheStats {
    /// Reads answered from the cache.
    pub hits: u64,
    /// Cacheable reads sent to the server.
    pub misses: u64,
    /// Invalidation pushes received (one may name many keys, or all).
    pub invalidations: u64,
    /// Replies cached now.
    pub entries: usize,
}

impl Cache {
    pub fn new(capacity: usize) -> Cache {
        Cache {
            state: Mutex::new(State::default()),
            capacity: capacity.max(1),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            invalidations: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sends a cacheable `command` through `queue`, or answers it from the
    /// cache. The receiver gets the reply frame either way.
    pub fn send<C: Command>(
        &self,
        queue: &Queue,
        command: C,
    ) -> Result<oneshot::Receiver<Result<Bytes, Error>>> {
        let mut encoded = BytesMut::new();
        let mut w = ArgWriter::begin(&mut encoded);
        command.write_args(&mut w);
        w.finish();
        let encoded = encoded.freeze();
        let (tx, rx) = oneshot::channel();
        let cached = self.lock().entries.get(&encoded).map(|(f, _)| f.clone());
        if let Some(frame) = cached {
            self.hits.fetch_add(1, Relaxed);
            let _ = tx.send(Ok(frame));
            return Ok(rx);
        }
        self.misses.fetch_add(1, Relaxed);
        let slot = Slot::Cached {
            command: encoded.clone(),
            tx,
            len: 0,
        };
        queue
            .push(|buf| buf.extend_from_slice(&encoded), slot)
            .map_err(|(e, _)| e)?;
        Ok(rx)
    }

    /// Keeps `frame`, the reply to `command`, unless it is an error.
    pub fn insert(&self, command: Bytes, frame: &Bytes) {
        if matches!(frame.first(), Some(b'-' | b'!')) {
            return;
        }
        let Some(key) = first_argument(&command) else {
            return;
        };
        // A copy, so the cache does not pin the whole read buffer the frame is a slice of.
        let frame = Bytes::copy_from_slice(frame);
        let mut state = self.lock();
        state.remove_command(&command);
        while state.entries.len() >= self.capacity {
            let Some(oldest) = state.order.pop_front() else {
                break;
            };
            state.remove_command(&oldest);
        }
        if state.order.len() > 2 * self.capacity {
            let State { entries, order, .. } = &mut *state;
            order.retain(|c| entries.contains_key(c));
        }
        state
            .by_key
            .entry(key.clone())
            .or_default()
            .push(command.clone());
        state.order.push_back(command.clone());
        state.entries.insert(command, (frame, key));
    }

    /// Applies a push frame if it is an invalidation (`invalidate` with the
    /// keys, or null for every key).
    pub fn on_push(&self, frame: &Bytes) {
        let mut reader = Reader::new(frame);
        let Ok(Item::Push(2)) = reader.next() else {
            return;
        };
        if !matches!(
            reader.next(),
            Ok(Item::Bulk(b"invalidate") | Item::Simple(b"invalidate"))
        ) {
            return;
        }
        self.invalidations.fetch_add(1, Relaxed);
        match reader.next() {
            Ok(Item::Array(n)) | Ok(Item::Set(n)) => {
                let mut state = self.lock();
                for _ in 0..n {
                    match reader.next() {
                        Ok(Item::Bulk(key) | Item::Simple(key)) => state.remove_key(key),
                        // Not a key: forget everything rather than keep a stale reply.
                        _ => {
                            *state = State::default();
                            return;
                        }
                    }
                }
            }
            _ => self.clear(),
        }
    }

    /// Forgets every reply (the connection was lost, the server flushed).
    pub fn clear(&self) {
        *self.lock() = State::default();
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Relaxed),
            misses: self.misses.load(Relaxed),
            invalidations: self.invalidations.load(Relaxed),
            entries: self.lock().entries.len(),
        }
    }
}

/// The first argument after the command's name: the key of a `CACHEABLE` command.
fn first_argument(command: &Bytes) -> Option<Bytes> {
    let mut reader = Reader::new(command);
    let Ok(Item::Array(n)) = reader.next() else {
        return None;
    };
    if n < 2 {
        return None;
    }
    reader.skip().ok()?;
    match reader.next().ok()? {
        Item::Bulk(key) => Some(reader.bytes(key)),
        _ => None,
    }
}

/// The handshake step of a caching connection: `CLIENT TRACKING ON`, which
/// only RESP3 can serve on the same connection.
pub(crate) async fn turn_on_tracking<S: AsyncRead + AsyncWrite + Unpin>(
    wire: &mut Wire<S>,
    resp: Resp,
) -> Result<()> {
    if resp != Resp::V3 {
        return Err(Error::new(
            ErrorKind::Config,
            Outcome::NotSent,
            "the client-side cache needs RESP3 (its invalidations arrive as RESP3 pushes); \
             connect with protocol 3 or auto to a Redis 6+ server, or turn the cache off",
        ));
    }
    wire.call(&[b"CLIENT", b"TRACKING", b"ON"]).await?;
    Ok(())
}

impl crate::Client {
    /// What the client-side cache has done, when it is on
    /// ([`Config::client_cache`](crate::Config::client_cache)).
    ///
    /// ```no_run
    /// # async fn demo() -> redtyped::Result<()> {
    /// use redtyped::{Client, Config};
    /// let client = Client::connect_with(Config::new("127.0.0.1", 6379).client_cache(1000)).await?;
    /// let _: Option<String> = client.get("k").await?;
    /// let _: Option<String> = client.get("k").await?;
    /// assert_eq!(client.cache_stats().map(|s| s.hits), Some(1));
    /// # Ok(()) }
    /// ```
    pub fn cache_stats(&self) -> Option<CacheStats> {
        self.queue().cache().map(Cache::stats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(args: &[&[u8]]) -> Bytes {
        let mut out = BytesMut::new();
        let mut w = ArgWriter::begin(&mut out);
        for a in args {
            w.arg(a);
        }
        w.finish();
        out.freeze()
    }

    fn cached(cache: &Cache, args: &[&[u8]]) -> bool {
        cache.lock().entries.contains_key(&command(args))
    }

    #[test]
    fn invalidations_drop_every_reply_of_their_keys() {
        let cache = Cache::new(10);
        cache.insert(
            command(&[b"GET", b"a"]),
            &Bytes::from_static(b"$1\r\n1\r\n"),
        );
        cache.insert(command(&[b"STRLEN", b"a"]), &Bytes::from_static(b":1\r\n"));
        cache.insert(
            command(&[b"GET", b"b"]),
            &Bytes::from_static(b"$1\r\n2\r\n"),
        );
        cache.on_push(&Bytes::from_static(
            b">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\na\r\n",
        ));
        assert!(!cached(&cache, &[b"GET", b"a"]));
        assert!(!cached(&cache, &[b"STRLEN", b"a"]));
        assert!(cached(&cache, &[b"GET", b"b"]));
        // A null key list is a flush.
        cache.on_push(&Bytes::from_static(b">2\r\n$10\r\ninvalidate\r\n_\r\n"));
        assert_eq!(cache.stats().entries, 0);
        assert_eq!(cache.stats().invalidations, 2);
    }

    #[test]
    fn errors_are_not_cached_and_the_size_is_bounded() {
        let cache = Cache::new(3);
        cache.insert(
            command(&[b"GET", b"h"]),
            &Bytes::from_static(b"-WRONGTYPE no\r\n"),
        );
        assert_eq!(cache.stats().entries, 0);
        for i in 0..100u32 {
            let key = i.to_string();
            cache.insert(
                command(&[b"GET", key.as_bytes()]),
                &Bytes::from_static(b"_\r\n"),
            );
            assert!(cache.stats().entries <= 3);
            cache.on_push(&Bytes::from(format!(
                ">2\r\n$10\r\ninvalidate\r\n*1\r\n${}\r\n{key}\r\n",
                key.len()
            )));
        }
        assert!(cache.lock().order.len() <= 7);
        // The newest stay.
        for i in 0..5u32 {
            cache.insert(
                command(&[b"GET", i.to_string().as_bytes()]),
                &Bytes::from_static(b"_\r\n"),
            );
        }
        assert!(cached(&cache, &[b"GET", b"4"]) && !cached(&cache, &[b"GET", b"0"]));
    }

    #[test]
    fn other_pushes_and_malformed_invalidations_are_safe() {
        let cache = Cache::new(4);
        cache.insert(
            command(&[b"GET", b"a"]),
            &Bytes::from_static(b"$1\r\n1\r\n"),
        );
        cache.on_push(&Bytes::from_static(
            b">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\na\r\n",
        ));
        assert_eq!(cache.stats().entries, 1);
        // A key list holding something else than keys: flush rather than keep stale data.
        cache.on_push(&Bytes::from_static(
            b">2\r\n$10\r\ninvalidate\r\n*1\r\n:1\r\n",
        ));
        assert_eq!(cache.stats().entries, 0);
    }
}
