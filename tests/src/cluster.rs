//! A Redis Cluster of real `redis-server` processes on loopback.

use std::time::Duration;

use crate::{Server, free_port, wait_until};

/// How long a cluster may take to form (or to fail over) before a test fails.
const FORM_TIMEOUT: Duration = Duration::from_secs(30);

/// A cluster of `masters` shards with `replicas` replicas each, started from
/// real `redis-server` processes (`cluster-enabled yes`,
/// `cluster-node-timeout 2000`): slots split evenly over the masters with
/// `CLUSTER ADDSLOTSRANGE`, nodes joined with `CLUSTER MEET`, replicas
/// attached with `CLUSTER REPLICATE`, and started only once every node says
/// `cluster_state:ok` and every replica's link is up. Nodes are killed on drop.
///
/// ```no_run
/// let cluster = redtyped_tests::Cluster::start(3, 1);
/// assert_eq!(cluster.nodes().len(), 6);
/// let seed = cluster.seed_url(); // redis://127.0.0.1:<port of the first master>
/// ```
pub struct Cluster {
    nodes: Vec<Server>,
    masters: usize,
    replicas: usize,
}

impl Cluster {
    /// Starts and forms the cluster (see the type's docs).
    #[track_caller]
    pub fn start(masters: usize, replicas: usize) -> Cluster {
        assert!(masters >= 1, "a cluster needs a master");
        let nodes: Vec<Server> = (0..masters * (1 + replicas))
            .map(|_| {
                Server::builder()
                    .config("cluster-enabled", "yes")
                    .config("cluster-port", free_port().to_string())
                    .config("cluster-node-timeout", "2000")
                    .config("repl-diskless-sync-delay", "0")
                    .start()
            })
            .collect();
        let cluster = Cluster {
            nodes,
            masters,
            replicas,
        };
        let per = 16384 / masters;
        for (i, master) in cluster.nodes[..masters].iter().enumerate() {
            let start = i * per;
            let end = if i + 1 == masters {
                16383
            } else {
                start + per - 1
            };
            let reply = master.cli(&[
                "CLUSTER",
                "ADDSLOTSRANGE",
                &start.to_string(),
                &end.to_string(),
            ]);
            assert_eq!(reply, "+OK\r\n", "ADDSLOTSRANGE on node {i}");
        }
        let first = &cluster.nodes[0];
        let bus = cluster_port(first);
        for node in &cluster.nodes[1..] {
            let reply = node.cli(&[
                "CLUSTER",
                "MEET",
                "127.0.0.1",
                &first.port().to_string(),
                &bus,
            ]);
            assert_eq!(reply, "+OK\r\n", "CLUSTER MEET");
        }
        let total = cluster.nodes.len();
        wait_until(FORM_TIMEOUT, "every node to know every other", || {
            cluster.nodes.iter().all(|n| {
                let nodes = n.cli(&["CLUSTER", "NODES"]);
                nodes
                    .lines()
                    .filter(|l| l.contains("connected") && !l.contains("handshake"))
                    .count()
                    == total
            })
        });
        for r in 0..masters * replicas {
            let replica = &cluster.nodes[masters + r];
            let master_id = cluster.node_id(r % masters);
            let reply = replica.cli(&["CLUSTER", "REPLICATE", &master_id]);
            assert_eq!(reply, "+OK\r\n", "CLUSTER REPLICATE");
        }
        cluster.wait_ok();
        cluster
    }

    /// Waits until every running node says `cluster_state:ok`, sees as many
    /// healthy replicas as the cluster was started with (gossip spreads that
    /// after the replication link is up), and every running replica's link
    /// to its master is up.
    #[track_caller]
    pub fn wait_ok(&self) {
        let replicas = self.masters * self.replicas;
        wait_until(FORM_TIMEOUT, "the cluster to be ok", || {
            self.nodes.iter().filter(|n| n.is_running()).all(|n| {
                let info = n.cli(&["CLUSTER", "INFO"]);
                let replication = n.cli(&["INFO", "replication"]);
                let seen_replicas = n
                    .cli(&["CLUSTER", "NODES"])
                    .lines()
                    .filter(|l| l.contains("slave") && !l.contains("fail"))
                    .count();
                info.contains("cluster_state:ok")
                    && seen_replicas >= replicas
                    && (replication.contains("role:master")
                        || replication.contains("master_link_status:up"))
            })
        });
    }

    /// Every node, masters first (as started; roles change after a failover).
    pub fn nodes(&self) -> &[Server] {
        &self.nodes
    }

    /// Node `i`, mutable (to kill or restart it).
    pub fn node_mut(&mut self, i: usize) -> &mut Server {
        &mut self.nodes[i]
    }

    /// How many masters it was started with.
    pub fn masters(&self) -> usize {
        self.masters
    }

    /// A URL of the first node, for a client's seed.
    pub fn seed_url(&self) -> String {
        self.nodes[0].url()
    }

    /// Every node's URL.
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(Server::url).collect()
    }

    /// Node `i`'s cluster id (`CLUSTER MYID`).
    pub fn node_id(&self, i: usize) -> String {
        bulk_text(&self.nodes[i].cli(&["CLUSTER", "MYID"]))
    }

    /// The index of the running node whose `CLUSTER NODES` line says it is
    /// the master of `slot`, by asking node `ask`.
    pub fn master_of(&self, slot: u16, ask: usize) -> Option<usize> {
        let nodes = bulk_text(&self.nodes[ask].cli(&["CLUSTER", "NODES"]));
        for line in nodes.lines() {
            let fields: Vec<&str> = line.split(' ').collect();
            if fields.len() < 9 || !fields[2].contains("master") || fields[2].contains("fail") {
                continue;
            }
            let serves = fields[8..].iter().any(|range| match range.split_once('-') {
                Some((a, b)) => {
                    a.parse::<u16>().is_ok_and(|a| a <= slot)
                        && b.parse::<u16>().is_ok_and(|b| slot <= b)
                }
                None => range.parse::<u16>() == Ok(slot),
            });
            if serves {
                let port: u16 = fields[1].split(['@', ':']).nth(1)?.parse().ok()?;
                return self.nodes.iter().position(|n| n.port() == port);
            }
        }
        None
    }
}

fn cluster_port(server: &Server) -> String {
    let reply = server.cli(&["CONFIG", "GET", "cluster-port"]);
    reply.lines().nth(4).unwrap_or_default().to_string()
}

/// The text of a bulk string reply (`$n\r\ntext\r\n`).
fn bulk_text(reply: &str) -> String {
    match reply.split_once("\r\n") {
        Some((header, rest)) if header.starts_with('$') => {
            rest.strip_suffix("\r\n").unwrap_or(rest).to_string()
        }
        _ => reply.to_string(),
    }
}
