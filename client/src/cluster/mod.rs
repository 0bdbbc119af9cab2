//! Redis Cluster: the same typed commands, routed to the shard of their keys.
//!
//! [`ClusterClient`] learns the slot map from `CLUSTER SHARDS` (or `CLUSTER
//! SLOTS`), keeps one multiplexed [`Client`] per node, and sends each
//! command where the spec says: by the slot of its keys (found with the
//! spec's key specs), to every shard or node (`request_policy` tips, replies
//! merged by `response_policy`), or split by slot (MGET, MSET, DEL…).
//! Keys in different slots that cannot be split fail before anything is
//! sent ([`ErrorKind::CrossSlot`](crate::ErrorKind::CrossSlot)).

mod keys;
mod merge;
mod route;
mod slot;
mod subscriber;
mod topology;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

pub use slot::{SLOTS, slot};
pub use subscriber::{ClusterMessages, ClusterSubscriber};

use crate::client::{Client, Response};
use crate::command::{Command, Placement};
use crate::config::{Addr, Config};
use crate::error::{Error, ErrorKind, Outcome, Result};
use crate::resp::ArgWriter;
use topology::{NodeAddr, SlotMap, split_addr};

/// Settings for a [`ClusterClient`]: seed nodes (any reachable one will do)
/// and options. Every node connection uses the first seed's settings
/// (password, TLS, protocol, timeouts, pool) with the node's address.
///
/// ```
/// let config = redtyped::cluster::ClusterConfig::new(["redis://10.0.0.1:7000", "redis://10.0.0.2:7000"])?
///     .read_from_replicas(true);
/// # Ok::<(), redtyped::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ClusterConfig {
    seeds: Vec<Config>,
    replica_reads: bool,
    max_attempts: usize,
}

impl ClusterConfig {
    /// Seed nodes from URLs (see [`Config`] for the forms; unix sockets are refused).
    pub fn new<'u>(urls: impl IntoIterator<Item = &'u str>) -> Result<ClusterConfig> {
        let seeds = urls
            .into_iter()
            .map(Config::from_url)
            .collect::<Result<Vec<_>>>()?;
        ClusterConfig::from_configs(seeds)
    }

    /// Seed nodes from configs.
    pub fn from_configs(seeds: Vec<Config>) -> Result<ClusterConfig> {
        if seeds.is_empty() {
            return Err(Error::config(
                "a cluster client needs at least one seed node",
            ));
        }
        if seeds.iter().any(|c| matches!(c.addr(), Addr::Unix(_))) {
            return Err(Error::config(
                "cluster nodes are reached over TCP, not unix sockets",
            ));
        }
        Ok(ClusterConfig {
            seeds,
            replica_reads: false,
            max_attempts: 16,
        })
    }

    /// Send read-only commands (the spec's `readonly` flag) to replicas, round
    /// robin, when the shard has any. Replicas may lag behind their master.
    pub fn read_from_replicas(mut self, on: bool) -> ClusterConfig {
        self.replica_reads = on;
        self
    }

    /// How many times one command is sent at most while the cluster redirects
    /// it (MOVED, ASK), asks to try again (TRYAGAIN, CLUSTERDOWN) or a node
    /// cannot be reached (default 16, with back-off between attempts that did
    /// not redirect).
    pub fn max_attempts(mut self, attempts: usize) -> ClusterConfig {
        self.max_attempts = attempts.max(1);
        self
    }
}

/// A client for a Redis Cluster, with every command of the spec as a method,
/// like [`Client`]: `cluster.get(key)`, `cluster.set(key, value).nx()`.
///
/// Routing is the spec's: a command goes to the master of its keys' slot
/// (to a replica for read-only commands with
/// [`read_from_replicas`](ClusterConfig::read_from_replicas)); keyless
/// commands go to any master, or to every shard or node when their
/// `request_policy` tip says so, with the replies merged by the
/// `response_policy` tip (DBSIZE sums, FLUSHALL must succeed everywhere);
/// MGET, MSET, DEL, EXISTS, TOUCH and UNLINK are split by slot and
/// reassembled in the order of their keys. A command whose keys span slots
/// otherwise fails before sending with [`ErrorKind::CrossSlot`].
///
/// MOVED updates the slot map and sends the command again to the new owner
/// (a full topology refresh follows in the background, one at a time however
/// many redirections arrive); ASK sends `ASKING` and the command to the
/// importing node; TRYAGAIN and CLUSTERDOWN back off and try again. A command
/// is sent again only when the cluster said it did not run it, or when it
/// was never written: one whose outcome is unknown fails with
/// [`Outcome::Unknown`].
///
/// ```no_run
/// # async fn demo() -> redtyped::Result<()> {
/// use redtyped::ClusterClient;
/// let cluster = ClusterClient::connect(["redis://127.0.0.1:7000"]).await?;
/// cluster.set("{user:1}:name", "ada").await?;
/// let names: Vec<Option<String>> = cluster.mget(["{user:1}:name", "{user:2}:name"]).await?;
/// let keys: i64 = cluster.dbsize().await?; // summed over every shard
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ClusterClient {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    config: ClusterConfig,
    /// The settings every node connection is made with (the first seed's).
    template: Config,
    map: RwLock<Arc<SlotMap>>,
    nodes: Mutex<HashMap<NodeAddr, Client>>,
    /// One topology refresh at a time.
    refresh_lock: tokio::sync::Mutex<()>,
    refresh_scheduled: AtomicBool,
    /// Round robin over replicas.
    next_replica: AtomicUsize,
    stats: Counters,
}

#[derive(Default)]
struct Counters {
    refreshes: AtomicU64,
    moved: AtomicU64,
    asked: AtomicU64,
    retried: AtomicU64,
}

/// What a cluster client has done (see [`ClusterClient::stats`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ClusterStats {
    /// Topology refreshes (CLUSTER SHARDS) done.
    pub refreshes: u64,
    /// MOVED redirections followed.
    pub moved: u64,
    /// ASK redirections followed.
    pub asked: u64,
    /// Commands sent again after TRYAGAIN, CLUSTERDOWN or an unreachable node.
    pub retried: u64,
    /// Nodes with an open connection.
    pub nodes: usize,
}

impl std::fmt::Debug for ClusterClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterClient")
            .field("seeds", &self.inner.config.seeds.len())
            .field("stats", &self.stats())
            .finish()
    }
}

impl ClusterClient {
    /// Connects through the first reachable seed URL and learns the slot map.
    pub async fn connect<'u>(urls: impl IntoIterator<Item = &'u str>) -> Result<ClusterClient> {
        ClusterClient::connect_with(ClusterConfig::new(urls)?).await
    }

    /// Connects with `config` and learns the slot map.
    pub async fn connect_with(config: ClusterConfig) -> Result<ClusterClient> {
        let mut template = config.seeds[0].clone();
        template.replica_reads = config.replica_reads;
        let inner = Arc::new(Inner {
            template,
            map: RwLock::new(Arc::new(SlotMap::from_slots(&[], ""))),
            nodes: Mutex::new(HashMap::new()),
            refresh_lock: tokio::sync::Mutex::new(()),
            refresh_scheduled: AtomicBool::new(false),
            next_replica: AtomicUsize::new(0),
            stats: Counters::default(),
            config,
        });
        inner.refresh().await?;
        Ok(ClusterClient { inner })
    }

    /// Sends any command value (`redtyped::cmd::*`) to where its keys live.
    /// [`Raw`](crate::Raw) commands, whose keys are unknown, go to any master.
    ///
    /// ```no_run
    /// # async fn demo(cluster: redtyped::ClusterClient) -> redtyped::Result<()> {
    /// let n: i64 = cluster.send(redtyped::cmd::incr("hits")).await?;
    /// # Ok(()) }
    /// ```
    pub fn send<C: Command>(&self, command: C) -> Response<C::Shape> {
        let name = command.name();
        let placement = command.placement();
        if placement == Placement::Dedicated {
            let error = Error::new(
                ErrorKind::Usage,
                Outcome::NotSent,
                "this command changes the state of its connection, so a cluster client \
                 does not run it: take a connection of a node's own",
            );
            return Response::failed(name, error);
        }
        let mut buf = bytes::BytesMut::new();
        let mut w = ArgWriter::begin(&mut buf);
        command.write_args(&mut w);
        w.finish();
        let timeout = match placement {
            Placement::Shared => self.inner.template.get_response_timeout(),
            _ => None,
        };
        let run = route::run(self.inner.clone(), buf.freeze(), C::META, placement);
        Response::from_future(name, run, timeout)
    }

    /// The slot map's masters, as `host:port`.
    pub fn masters(&self) -> Vec<String> {
        self.inner
            .map()
            .shards()
            .map(|s| s.master.clone())
            .collect()
    }

    /// A pipeline through the cluster, with the same typed chain as
    /// [`Client::pipeline`]: each command goes to the shard of its keys (all
    /// sent concurrently, each node's share in one write), and the replies come
    /// back in the order of the commands, as their types.
    ///
    /// ```no_run
    /// use redtyped::prelude::*;
    /// # async fn demo(cluster: redtyped::ClusterClient) -> redtyped::Result<()> {
    /// let (a, b): (i64, i64) = cluster.pipeline().incr("a").incr("b").execute().await?;
    /// # Ok(()) }
    /// ```
    pub fn pipeline(&self) -> crate::Pipeline<'_, ()> {
        crate::Pipeline::via(crate::pipeline::Via::Cluster(self), false)
    }

    /// A MULTI/EXEC transaction through the cluster. Its keys must all be in
    /// one hash slot (use a `{hash tag}`); otherwise it fails before anything
    /// is sent with [`ErrorKind::CrossSlot`]. When the slot moved, the aborted
    /// transaction is sent again to its new master.
    pub fn transaction(&self) -> crate::Pipeline<'_, ()> {
        crate::Pipeline::via(crate::pipeline::Via::Cluster(self), true)
    }

    pub(crate) fn send_pipeline(
        &self,
        bytes: bytes::Bytes,
        start: usize,
        routes: Vec<(usize, &'static crate::CommandMeta)>,
        atomic: bool,
    ) -> tokio::sync::oneshot::Receiver<Result<Vec<bytes::Bytes>>> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let run = route::pipeline(self.inner.clone(), bytes, start, routes, atomic);
        tokio::spawn(async move {
            let _ = tx.send(run.await);
        });
        rx
    }

    /// Every node of the slot map, masters first, as `host:port`.
    pub fn nodes(&self) -> Vec<String> {
        self.inner.map().nodes()
    }

    /// The master serving `slot` now, as `host:port`.
    pub fn master_of(&self, slot: u16) -> Option<String> {
        self.inner.map().shard(slot).map(|s| s.master.clone())
    }

    /// Learns the slot map again now (it is also refreshed by itself after
    /// MOVED, CLUSTERDOWN or an unreachable node).
    pub async fn refresh(&self) -> Result<()> {
        self.inner.refresh().await
    }

    /// Counters of redirections, retries and refreshes.
    pub fn stats(&self) -> ClusterStats {
        let c = &self.inner.stats;
        ClusterStats {
            refreshes: c.refreshes.load(Ordering::Relaxed),
            moved: c.moved.load(Ordering::Relaxed),
            asked: c.asked.load(Ordering::Relaxed),
            retried: c.retried.load(Ordering::Relaxed),
            nodes: self.inner.lock_nodes().len(),
        }
    }
}

impl crate::client::Target for ClusterClient {
    fn send<C: Command>(&self, command: C) -> Response<C::Shape> {
        ClusterClient::send(self, command)
    }
}

impl crate::command::BlockingTarget for &ClusterClient {}

impl Inner {
    fn map(&self) -> Arc<SlotMap> {
        self.map.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn lock_nodes(&self) -> std::sync::MutexGuard<'_, HashMap<NodeAddr, Client>> {
        self.nodes.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The connection to `addr`, opened on first use.
    async fn node(&self, addr: &str) -> Result<Client> {
        if let Some(client) = self.lock_nodes().get(addr) {
            return Ok(client.clone());
        }
        let (host, port) = split_addr(addr).ok_or_else(|| {
            Error::config(format!("a cluster node address `{addr}` without a port"))
        })?;
        let client = Client::connect_with(self.template.for_node(host, port)).await?;
        Ok(self
            .lock_nodes()
            .entry(addr.to_string())
            .or_insert(client)
            .clone())
    }

    /// The node to send to for `slot`: its master, or a replica for reads when asked.
    fn addr_for(&self, slot: Option<u16>, readonly: bool) -> Option<NodeAddr> {
        let map = self.map();
        let shard = match slot {
            Some(slot) => map.shard(slot)?,
            None => map.shards().next()?,
        };
        if readonly && self.config.replica_reads && !shard.replicas.is_empty() {
            let i = self.next_replica.fetch_add(1, Ordering::Relaxed);
            return Some(shard.replicas[i % shard.replicas.len()].clone());
        }
        Some(shard.master.clone())
    }

    /// After MOVED: the slot is served by `addr`; learn the rest in the background.
    fn moved(self: &Arc<Self>, slot: u16, addr: &str) {
        self.stats.moved.fetch_add(1, Ordering::Relaxed);
        {
            let mut map = self.map.write().unwrap_or_else(|p| p.into_inner());
            if let Some(next) = map.with_moved(slot, addr) {
                *map = Arc::new(next);
            }
        }
        self.schedule_refresh();
    }

    /// A background refresh, unless one is already scheduled or running.
    fn schedule_refresh(self: &Arc<Self>) {
        if self.refresh_scheduled.swap(true, Ordering::AcqRel) {
            return;
        }
        let inner = self.clone();
        tokio::spawn(async move {
            let _ = inner.refresh().await;
            inner.refresh_scheduled.store(false, Ordering::Release);
        });
    }

    /// Learns the slot map from the first node that answers (known masters,
    /// then the seeds), and closes connections to nodes no longer in it.
    async fn refresh(&self) -> Result<()> {
        let _one_at_a_time = self.refresh_lock.lock().await;
        let mut candidates: Vec<NodeAddr> = self.map().nodes();
        for seed in &self.config.seeds {
            if let Addr::Tcp { host, port } = seed.addr() {
                candidates.push(topology::node_addr(host, i64::from(*port)));
            }
        }
        let tls = self.template.tls_settings().is_some();
        let mut last = None;
        for addr in candidates {
            let seed_host = split_addr(&addr)
                .map(|(h, _)| h.to_string())
                .unwrap_or_default();
            let node = match self.node(&addr).await {
                Ok(node) => node,
                Err(e) => {
                    last = Some(e);
                    continue;
                }
            };
            let map = match node.cluster_shards().await {
                Ok(shards) => SlotMap::from_shards(&shards, tls, &seed_host),
                Err(e) if e.is_server() => match node.cluster_slots().await {
                    Ok(ranges) => SlotMap::from_slots(&ranges, &seed_host),
                    Err(e) => {
                        last = Some(e);
                        continue;
                    }
                },
                Err(e) => {
                    last = Some(e);
                    continue;
                }
            };
            if map.shards().next().is_none() {
                last = Some(Error::new(
                    ErrorKind::Server,
                    Outcome::Completed,
                    format!("{addr} knows no shard with slots"),
                ));
                continue;
            }
            let keep: std::collections::HashSet<NodeAddr> = map.nodes().into_iter().collect();
            *self.map.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(map);
            self.lock_nodes().retain(|addr, _| keep.contains(addr));
            self.stats.refreshes.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        }
        Err(last.unwrap_or_else(|| Error::config("no cluster node to ask for the slot map")))
    }
}
