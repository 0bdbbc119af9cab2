//! The task that owns a subscriber's connection.
//!
//! It keeps the set of subscriptions the user asked for (each request is in
//! the set from the moment it is made, so one in flight when the connection
//! drops is renewed too), writes (un)subscribe commands, counts the server's
//! confirmations to resolve each request, and routes messages to streams.
//! When the connection is lost it reconnects with back-off, subscribes to the
//! whole set again and tells every stream [`Event::Reconnected`].

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};

use super::buffer::Sink;
use super::frame::{self, Incoming};
use super::message::{Event, Kind, Message};
use crate::config::Config;
use crate::connection::Connected;
use crate::error::{Error, Outcome, Result};
use crate::resp::{ArgWriter, FrameScanner, Limits};

/// What a [`Subscriber`](super::Subscriber) handle asks of the task.
pub(crate) enum Request {
    /// (Un)subscribe `names` (never empty); `done` resolves when the server
    /// confirmed every name.
    Change {
        kind: Kind,
        subscribe: bool,
        names: Vec<Bytes>,
        done: oneshot::Sender<Result<()>>,
    },
    /// Send the messages of one subscription to `sink` rather than to the
    /// subscriber's main stream.
    Route {
        kind: Kind,
        name: Bytes,
        sink: Arc<Sink>,
    },
    /// End every stream and stop (closing the connection ends every subscription).
    Close,
}

/// A command written whose confirmations are awaited.
struct Pending {
    kind: Kind,
    subscribe: bool,
    names: Vec<Bytes>,
    /// Confirmations still to come.
    remaining: usize,
    waiters: Vec<oneshot::Sender<Result<()>>>,
    /// Sent after a reconnect to renew the set: a refusal is reported on the
    /// main stream, and the names stay wanted.
    renewal: bool,
}

pub(crate) struct Task {
    config: Config,
    requests: mpsc::UnboundedReceiver<Request>,
    /// The subscriptions asked for, per kind.
    wanted: [BTreeSet<Bytes>; 3],
    pending: VecDeque<Pending>,
    /// Requests made while no connection was up: resolved by the renewal.
    parked: Vec<oneshot::Sender<Result<()>>>,
    main: Arc<Sink>,
    routes: HashMap<(Kind, Bytes), Vec<Arc<Sink>>>,
}

enum End {
    /// Every handle and stream is gone, or the subscriber was closed.
    Released,
    /// The connection failed (closed, an IO error, bytes that are not RESP).
    Lost,
}

impl Task {
    pub fn new(
        config: Config,
        requests: mpsc::UnboundedReceiver<Request>,
        main: Arc<Sink>,
    ) -> Task {
        Task {
            config,
            requests,
            wanted: Default::default(),
            pending: VecDeque::new(),
            parked: Vec::new(),
            main,
            routes: HashMap::new(),
        }
    }

    pub async fn run(mut self, first: Connected) {
        let mut connection = Some(first);
        let mut renew = false;
        loop {
            let connected = match connection.take() {
                Some(c) => c,
                None => match self.reconnect().await {
                    Some(c) => c,
                    None => break,
                },
            };
            match self.serve(connected, renew).await {
                End::Released => break,
                End::Lost => {
                    // Commands written may or may not have run: the renewal on
                    // the next connection settles them, so their callers wait for it.
                    for pending in self.pending.drain(..) {
                        self.parked.extend(pending.waiters);
                    }
                    renew = true;
                }
            }
        }
        for pending in self.pending.drain(..) {
            for waiter in pending.waiters {
                let _ = waiter.send(Err(closed()));
            }
        }
        for waiter in self.parked.drain(..) {
            let _ = waiter.send(Err(closed()));
        }
        self.main.end();
        for sinks in self.routes.values() {
            for sink in sinks {
                sink.end();
            }
        }
    }

    /// Reconnects with back-off, applying requests meanwhile. `None` when
    /// the subscriber was released.
    async fn reconnect(&mut self) -> Option<Connected> {
        let mut attempt = 0;
        loop {
            let pause = tokio::time::sleep(crate::driver::backoff(attempt));
            tokio::pin!(pause);
            loop {
                tokio::select! {
                    _ = &mut pause => break,
                    request = self.requests.recv() => {
                        if !self.apply_offline(request?) {
                            return None;
                        }
                    }
                }
            }
            attempt = attempt.saturating_add(1);
            let config = self.config.clone();
            let connect = crate::connection::connect(&config);
            tokio::pin!(connect);
            loop {
                tokio::select! {
                    result = &mut connect => match result {
                        Ok(connected) => return Some(connected),
                        Err(_) => break,
                    },
                    request = self.requests.recv() => {
                        if !self.apply_offline(request?) {
                            return None;
                        }
                    }
                }
            }
        }
    }

    /// Takes a request while no connection is up. False on `Close`.
    fn apply_offline(&mut self, request: Request) -> bool {
        match request {
            Request::Change {
                kind,
                subscribe,
                names,
                done,
            } => {
                self.update_wanted(kind, subscribe, &names);
                self.parked.push(done);
            }
            Request::Route { kind, name, sink } => self.route(kind, name, sink),
            Request::Close => return false,
        }
        true
    }

    fn update_wanted(&mut self, kind: Kind, subscribe: bool, names: &[Bytes]) {
        let set = &mut self.wanted[kind.index()];
        for name in names {
            if subscribe {
                set.insert(name.clone());
            } else {
                set.remove(name);
            }
        }
    }

    fn route(&mut self, kind: Kind, name: Bytes, sink: Arc<Sink>) {
        self.routes.entry((kind, name)).or_default().push(sink);
    }

    /// Drives one connection until it is lost or the subscriber released.
    async fn serve(&mut self, connected: Connected, renew: bool) -> End {
        let (mut reader, mut writer) = tokio::io::split(connected.stream);
        let mut read_buf = connected.read_buf;
        let mut scanner = FrameScanner::new(Limits::default());
        let mut out = BytesMut::new();
        if renew {
            self.renew(&mut out);
            self.deliver_all(Event::Reconnected);
        }
        loop {
            if read_buf.capacity() - read_buf.len() < 4096 {
                read_buf.reserve(16 * 1024);
            }
            tokio::select! {
                read = reader.read_buf(&mut read_buf) => match read {
                    Ok(0) | Err(_) => return End::Lost,
                    Ok(_) => {
                        if self.dispatch(&mut scanner, &mut read_buf).is_err() {
                            return End::Lost;
                        }
                    }
                },
                written = writer.write(&out), if !out.is_empty() => match written {
                    Ok(0) | Err(_) => return End::Lost,
                    Ok(n) => {
                        out.advance(n);
                        if out.is_empty() && writer.flush().await.is_err() {
                            return End::Lost;
                        }
                    }
                },
                request = self.requests.recv() => match request {
                    None => return End::Released,
                    // Closing the connection ends every subscription.
                    Some(Request::Close) => return End::Released,
                    Some(Request::Route { kind, name, sink }) => self.route(kind, name, sink),
                    Some(Request::Change { kind, subscribe, names, done }) => {
                        self.update_wanted(kind, subscribe, &names);
                        let command = if subscribe {
                            kind.subscribe_command()
                        } else {
                            kind.unsubscribe_command()
                        };
                        encode(&mut out, command, &names);
                        self.pending.push_back(Pending {
                            kind,
                            subscribe,
                            remaining: names.len(),
                            names,
                            waiters: vec![done],
                            renewal: false,
                        });
                    }
                },
            }
        }
    }

    /// Queues the commands that subscribe to the whole wanted set on a new
    /// connection; requests parked meanwhile resolve when they are confirmed.
    fn renew(&mut self, out: &mut BytesMut) {
        let mut parked = std::mem::take(&mut self.parked);
        for kind in Kind::ALL {
            let names: Vec<Bytes> = self.wanted[kind.index()].iter().cloned().collect();
            if names.is_empty() {
                continue;
            }
            encode(out, kind.subscribe_command(), &names);
            self.pending.push_back(Pending {
                kind,
                subscribe: true,
                remaining: names.len(),
                names,
                waiters: Vec::new(),
                renewal: true,
            });
        }
        match self.pending.back_mut() {
            Some(last) => last.waiters.append(&mut parked),
            // Nothing to subscribe to: every parked request is settled.
            None => {
                for waiter in parked {
                    let _ = waiter.send(Ok(()));
                }
            }
        }
    }

    /// Reads every complete frame in `read_buf`. A framing error is fatal to
    /// the connection (the byte stream cannot be trusted after it); a frame
    /// that is valid RESP but not a pub/sub frame is reported and skipped.
    fn dispatch(&mut self, scanner: &mut FrameScanner, read_buf: &mut BytesMut) -> Result<()> {
        loop {
            let n = match scanner.scan(read_buf) {
                Ok(Some(n)) => n,
                Ok(None) => return Ok(()),
                Err(e) => return Err(Error::protocol(Outcome::Unknown, e)),
            };
            // A copy, so a buffered message holds only its own bytes, not the
            // whole read chunk it arrived in.
            let frame = Bytes::copy_from_slice(&read_buf[..n]);
            read_buf.advance(n);
            match frame::read(&frame) {
                Ok(Incoming::Message(message)) => self.deliver(message),
                Ok(Incoming::Confirm { kind, subscribe }) => self.confirm(kind, subscribe),
                Ok(Incoming::Error(text)) => self.refused(Error::server(&text)),
                Ok(Incoming::Other) => {}
                Err(e) => {
                    let error = Error::decode(e).with_command("pub/sub");
                    self.main.push(Event::Error(error));
                }
            }
        }
    }

    fn confirm(&mut self, kind: Kind, subscribe: bool) {
        let Some(front) = self.pending.front_mut() else {
            // The server unsubscribed us on its own (a shard channel's slot moved).
            return;
        };
        if front.kind != kind || front.subscribe != subscribe {
            return;
        }
        front.remaining -= 1;
        if front.remaining == 0 {
            if let Some(done) = self.pending.pop_front() {
                for waiter in done.waiters {
                    let _ = waiter.send(Ok(()));
                }
            }
        }
    }

    /// The server refused the oldest command waiting: its names are no
    /// longer wanted (a renewal keeps them, and says so on the main stream).
    fn refused(&mut self, error: Error) {
        let Some(pending) = self.pending.pop_front() else {
            self.main.push(Event::Error(error));
            return;
        };
        if pending.renewal {
            self.main.push(Event::Error(error.clone()));
        } else if pending.subscribe {
            self.update_wanted(pending.kind, false, &pending.names);
        }
        for waiter in pending.waiters {
            let _ = waiter.send(Err(error.clone()));
        }
    }

    fn deliver(&mut self, message: Message) {
        let key_name = match message.kind {
            Kind::Pattern => message.pattern.clone().unwrap_or_default(),
            _ => message.channel.clone(),
        };
        let key = (message.kind, key_name);
        if let Some(sinks) = self.routes.get_mut(&key) {
            sinks.retain(|sink| sink.push(Event::Message(message.clone())));
            if !sinks.is_empty() {
                return;
            }
            self.routes.remove(&key);
        }
        self.main.push(Event::Message(message));
    }

    fn deliver_all(&mut self, event: Event) {
        self.main.push(event.clone());
        self.routes.retain(|_, sinks| {
            sinks.retain(|sink| sink.push(event.clone()));
            !sinks.is_empty()
        });
    }
}

fn closed() -> Error {
    Error::closed(Outcome::Unknown, "the subscriber was closed")
}

fn encode(out: &mut BytesMut, command: &[u8], names: &[Bytes]) {
    let mut w = ArgWriter::begin(out);
    w.arg(command);
    for name in names {
        w.arg(name);
    }
    w.finish();
}
