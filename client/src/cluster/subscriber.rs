//! Sharded pub/sub through a cluster: each shard channel subscribed on the
//! master of its slot, followed when the slot moves.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::mpsc;

use super::slot::slot;
use super::topology::{NodeAddr, split_addr};
use super::{ClusterClient, Inner};
use crate::error::{Error, ErrorKind, Outcome, Result};
use crate::pubsub::{Event, Subscriber};

/// How often the slot map is checked for moved shard channels.
const FOLLOW_EVERY: Duration = Duration::from_secs(1);

/// Shard channels (SSUBSCRIBE) through a cluster. Each channel is
/// subscribed on the master of its slot, over one [`Subscriber`] connection
/// per node; the events of every node come out of one [`ClusterMessages`]
/// stream. Every second the slot map is checked: a channel whose slot moved
/// is subscribed on its new master and a [`Event::Reconnected`] says that
/// messages published during the move may be lost.
///
/// ```no_run
/// # async fn demo(cluster: redtyped::ClusterClient) -> redtyped::Result<()> {
/// let (subscriber, mut messages) = cluster.subscriber();
/// subscriber.ssubscribe(["{orders}:eu", "{orders}:us"]).await?;
/// cluster.spublish("{orders}:eu", "42").await?;
/// if let Some(redtyped::pubsub::Event::Message(m)) = messages.next().await {
///     assert_eq!(m.channel_str(), Some("{orders}:eu"));
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ClusterSubscriber {
    shared: Arc<Shared>,
}

struct Shared {
    cluster: Weak<Inner>,
    state: tokio::sync::Mutex<State>,
    events: mpsc::Sender<Event>,
}

#[derive(Default)]
struct State {
    /// One subscriber connection per node.
    nodes: HashMap<NodeAddr, Subscriber>,
    /// Where each shard channel is subscribed.
    channels: HashMap<Bytes, NodeAddr>,
}

/// The events of a [`ClusterSubscriber`], from every node, in one stream.
pub struct ClusterMessages {
    events: mpsc::Receiver<Event>,
}

impl ClusterMessages {
    /// The next event; `None` once the subscriber and every node connection are gone.
    pub async fn next(&mut self) -> Option<Event> {
        self.events.recv().await
    }
}

impl futures_core::Stream for ClusterMessages {
    type Item = Event;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        self.events.poll_recv(cx)
    }
}

impl ClusterClient {
    /// A subscriber for shard channels (see [`ClusterSubscriber`]) and the
    /// stream of its events. Must be called within a tokio runtime.
    pub fn subscriber(&self) -> (ClusterSubscriber, ClusterMessages) {
        let (events, rx) = mpsc::channel(crate::pubsub::DEFAULT_CAPACITY);
        let shared = Arc::new(Shared {
            cluster: Arc::downgrade(&self.inner),
            state: tokio::sync::Mutex::new(State::default()),
            events,
        });
        tokio::spawn(follow(Arc::downgrade(&shared)));
        (ClusterSubscriber { shared }, ClusterMessages { events: rx })
    }
}

impl ClusterSubscriber {
    /// Subscribes to shard channels, each on the master of its slot; returns
    /// once every node confirmed.
    pub async fn ssubscribe<I, C>(&self, channels: I) -> Result<()>
    where
        I: IntoIterator<Item = C>,
        C: AsRef<[u8]>,
    {
        let channels: Vec<Bytes> = channels
            .into_iter()
            .map(|c| Bytes::copy_from_slice(c.as_ref()))
            .collect();
        if channels.is_empty() {
            return Err(Error::new(
                ErrorKind::Usage,
                Outcome::NotSent,
                "SSUBSCRIBE needs at least one shard channel",
            ));
        }
        let cluster = self.cluster()?;
        let mut state = self.shared.state.lock().await;
        for channel in channels {
            let addr = master_of(&cluster, &channel)?;
            let node = self.node(&cluster, &mut state, &addr).await?;
            node.ssubscribe([channel.as_ref()]).await?;
            state.channels.insert(channel, addr);
        }
        Ok(())
    }

    /// Unsubscribes from shard channels.
    pub async fn sunsubscribe<I, C>(&self, channels: I) -> Result<()>
    where
        I: IntoIterator<Item = C>,
        C: AsRef<[u8]>,
    {
        let mut state = self.shared.state.lock().await;
        for channel in channels {
            let Some(addr) = state.channels.remove(channel.as_ref()) else {
                continue;
            };
            if let Some(node) = state.nodes.get(&addr) {
                match node.sunsubscribe([channel.as_ref()]).await {
                    // The slot moved off that node: it dropped the subscription itself.
                    Err(e) if e.server_code() == Some("MOVED") => {}
                    other => other?,
                }
            }
        }
        Ok(())
    }

    fn cluster(&self) -> Result<Arc<Inner>> {
        self.shared
            .cluster
            .upgrade()
            .ok_or_else(|| Error::closed(Outcome::NotSent, "the cluster client was dropped"))
    }

    /// The subscriber connection to `addr`, opened on first use, its events
    /// forwarded into the shared stream.
    async fn node(&self, cluster: &Inner, state: &mut State, addr: &str) -> Result<Subscriber> {
        if let Some(node) = state.nodes.get(addr) {
            return Ok(node.clone());
        }
        let (host, port) = split_addr(addr)
            .ok_or_else(|| Error::config(format!("a node address `{addr}` without a port")))?;
        let (node, mut messages) =
            Subscriber::connect(cluster.template.for_node(host, port)).await?;
        let events = self.shared.events.clone();
        tokio::spawn(async move {
            while let Some(event) = messages.next().await {
                if events.send(event).await.is_err() {
                    return;
                }
            }
        });
        state.nodes.insert(addr.to_string(), node.clone());
        Ok(node)
    }
}

fn master_of(cluster: &Inner, channel: &[u8]) -> Result<NodeAddr> {
    cluster.addr_for(Some(slot(channel)), false).ok_or_else(|| {
        Error::new(
            ErrorKind::Server,
            Outcome::NotSent,
            "no node serves the shard channel's slot",
        )
    })
}

/// Moves shard channels whose slot changed master, until the subscriber is gone.
async fn follow(shared: Weak<Shared>) {
    loop {
        tokio::time::sleep(FOLLOW_EVERY).await;
        let Some(shared) = shared.upgrade() else {
            return;
        };
        let Some(cluster) = shared.cluster.upgrade() else {
            return;
        };
        if shared.state.lock().await.channels.is_empty() {
            continue;
        }
        if cluster.refresh().await.is_err() {
            continue;
        }
        let subscriber = ClusterSubscriber {
            shared: shared.clone(),
        };
        let mut state = shared.state.lock().await;
        let moved: Vec<(Bytes, NodeAddr, NodeAddr)> = state
            .channels
            .iter()
            .filter_map(|(channel, old)| {
                let new = master_of(&cluster, channel).ok()?;
                (new != *old).then(|| (channel.clone(), old.clone(), new))
            })
            .collect();
        if moved.is_empty() {
            continue;
        }
        for (channel, old, new) in moved {
            if let Some(node) = state.nodes.get(&old) {
                // The old master may be gone, or may have dropped it already.
                let _ = node.sunsubscribe([channel.as_ref()]).await;
            }
            let renewed = match subscriber.node(&cluster, &mut state, &new).await {
                Ok(node) => node.ssubscribe([channel.as_ref()]).await,
                Err(e) => Err(e),
            };
            match renewed {
                Ok(()) => {
                    state.channels.insert(channel, new);
                }
                Err(e) => {
                    let _ = shared.events.send(Event::Error(e)).await;
                }
            }
        }
        let _ = shared.events.send(Event::Reconnected).await;
    }
}
