//! The slot map: which shard serves each slot, and the nodes of each shard.

use crate::cluster::slot::SLOTS;
use crate::reply::{ClusterShard, ClusterSlotRange};

/// A node's address as the cluster announces it, `host:port`.
pub(crate) type NodeAddr = String;

/// One shard: a master and its replicas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Shard {
    pub master: NodeAddr,
    pub replicas: Vec<NodeAddr>,
}

/// Which shard serves each of the 16384 slots.
#[derive(Debug, Clone)]
pub(crate) struct SlotMap {
    /// Per slot, an index into `shards`, or `UNASSIGNED`.
    owner: Vec<u16>,
    shards: Vec<Shard>,
}

const UNASSIGNED: u16 = u16::MAX;

impl SlotMap {
    /// From `CLUSTER SHARDS`: masters and replicas not marked failed, by
    /// announced endpoint. (A 7.0 replica of an empty master reports health
    /// `loading` until the first write, so `loading` replicas are kept.)
    pub fn from_shards(shards: &[ClusterShard], tls: bool, seed_host: &str) -> SlotMap {
        let mut map = SlotMap::empty();
        for shard in shards {
            let mut master = None;
            let mut replicas = Vec::new();
            for node in &shard.nodes {
                let port = if tls { node.tls_port } else { node.port };
                let Some(port) = port else { continue };
                let host = match node.endpoint.as_str() {
                    "" | "?" => node.ip.as_str(),
                    endpoint => endpoint,
                };
                let host = if host.is_empty() { seed_host } else { host };
                let addr = node_addr(host, port);
                if node.health == "failed" {
                    continue;
                }
                if node.role == "master" {
                    master = Some(addr);
                } else {
                    replicas.push(addr);
                }
            }
            let Some(master) = master else { continue };
            if shard.slots.is_empty() {
                continue;
            }
            let ranges: Vec<(i64, i64)> = shard
                .slots
                .chunks(2)
                .filter_map(|r| match r {
                    [start, end] => Some((*start, *end)),
                    _ => None,
                })
                .collect();
            map.add(Shard { master, replicas }, &ranges);
        }
        map
    }

    /// From `CLUSTER SLOTS` (servers before 7.0): the first node of a range is its master.
    pub fn from_slots(ranges: &[ClusterSlotRange], seed_host: &str) -> SlotMap {
        let mut map = SlotMap::empty();
        for range in ranges {
            let mut nodes = range.nodes.iter().map(|n| {
                let host = match n.endpoint.as_deref() {
                    None | Some("") | Some("?") => seed_host,
                    Some(host) => host,
                };
                node_addr(host, n.port)
            });
            let Some(master) = nodes.next() else { continue };
            let shard = Shard {
                master,
                replicas: nodes.collect(),
            };
            map.add(shard, &[(range.start, range.end)]);
        }
        map
    }

    fn empty() -> SlotMap {
        SlotMap {
            owner: vec![UNASSIGNED; usize::from(SLOTS)],
            shards: Vec::new(),
        }
    }

    fn add(&mut self, shard: Shard, ranges: &[(i64, i64)]) {
        let index = match self.shards.iter().position(|s| s.master == shard.master) {
            Some(i) => i,
            None => {
                self.shards.push(shard);
                self.shards.len() - 1
            }
        };
        for &(start, end) in ranges {
            let start = start.clamp(0, i64::from(SLOTS) - 1) as usize;
            let end = end.clamp(0, i64::from(SLOTS) - 1) as usize;
            for owner in &mut self.owner[start..=end] {
                *owner = index as u16;
            }
        }
    }

    /// The shard serving `slot`, if any.
    pub fn shard(&self, slot: u16) -> Option<&Shard> {
        let index = *self.owner.get(usize::from(slot))?;
        self.shards.get(usize::from(index))
    }

    /// Every shard that serves at least one slot.
    pub fn shards(&self) -> impl Iterator<Item = &Shard> {
        self.shards.iter()
    }

    /// The map after a MOVED: `slot` is served by `addr` (a master), or `None`
    /// when it already was.
    pub fn with_moved(&self, slot: u16, addr: &str) -> Option<SlotMap> {
        if self.shard(slot).is_some_and(|s| s.master == addr) {
            return None;
        }
        let mut next = self.clone();
        let shard = Shard {
            master: addr.to_string(),
            replicas: Vec::new(),
        };
        next.add(shard, &[(i64::from(slot), i64::from(slot))]);
        Some(next)
    }

    /// Every node address, masters first.
    pub fn nodes(&self) -> Vec<NodeAddr> {
        let mut nodes: Vec<NodeAddr> = self.shards.iter().map(|s| s.master.clone()).collect();
        for shard in &self.shards {
            nodes.extend(shard.replicas.iter().cloned());
        }
        nodes
    }
}

/// `host:port`, with brackets around an IPv6 host.
pub(crate) fn node_addr(host: &str, port: i64) -> NodeAddr {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Splits `host:port` (or `[v6]:port`).
pub(crate) fn split_addr(addr: &str) -> Option<(&str, u16)> {
    let (host, port) = addr.rsplit_once(':')?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    Some((host, port.parse().ok()?))
}
