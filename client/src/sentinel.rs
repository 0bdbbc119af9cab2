//! Sentinel: the master of a name, found through sentinels and followed
//! through failovers.

use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use crate::client::Client;
use crate::config::Config;
use crate::connection::{self, Connected};
use crate::error::{Error, ErrorKind, Outcome, Result};
use crate::queue::Queue;
use crate::raw::Raw;

/// Where to find a master through Redis Sentinel: its name, the sentinels
/// to ask, and the settings of the master connection (password, database,
/// TLS, timeouts; its address comes from the sentinels).
///
/// ```
/// use redtyped::{Config, SentinelConfig};
/// let config = SentinelConfig::new("mymaster", ["redis://10.0.0.1:26379", "redis://10.0.0.2:26379"])?
///     .master(Config::from_url("redis://:s3cret@ignored/2")?);
/// # Ok::<(), redtyped::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct SentinelConfig {
    name: String,
    sentinels: Vec<Config>,
    master: Config,
}

impl SentinelConfig {
    /// The master called `name`, found through the sentinels at `urls`.
    pub fn new<'u>(name: &str, urls: impl IntoIterator<Item = &'u str>) -> Result<SentinelConfig> {
        let sentinels = urls
            .into_iter()
            .map(Config::from_url)
            .collect::<Result<Vec<_>>>()?;
        if sentinels.is_empty() {
            return Err(Error::config(
                "a sentinel client needs at least one sentinel",
            ));
        }
        Ok(SentinelConfig {
            name: name.to_string(),
            sentinels,
            master: Config::new("127.0.0.1", crate::DEFAULT_PORT),
        })
    }

    /// The settings of the connection to the master (its address is ignored).
    pub fn master(mut self, settings: Config) -> SentinelConfig {
        self.master = settings;
        self
    }
}

/// Finds the master through the sentinels and connects to it, checking
/// that it is a master (ROLE) before any command is sent.
pub(crate) struct Resolver {
    config: SentinelConfig,
    /// The master connected to last, `host:port`.
    current: Mutex<Option<String>>,
}

impl Resolver {
    pub fn new(config: SentinelConfig) -> Resolver {
        Resolver {
            config,
            current: Mutex::new(None),
        }
    }

    /// Asks each sentinel in turn for the master's address and connects to
    /// the first address that answers as a master.
    pub async fn connect(&self) -> Result<(Connected, Config)> {
        let mut last = None;
        for sentinel in &self.config.sentinels {
            let (host, port) = match self.ask(sentinel).await {
                Ok(addr) => addr,
                Err(e) => {
                    last = Some(e);
                    continue;
                }
            };
            let mut config = self.config.master.for_node(&host, port);
            config.require_master = true;
            match connection::connect(&config).await {
                Ok(connected) => {
                    *self.current.lock().unwrap_or_else(|p| p.into_inner()) =
                        Some(format!("{host}:{port}"));
                    return Ok((connected, config));
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| Error::config("no sentinel to ask")))
    }

    async fn ask(&self, sentinel: &Config) -> Result<(String, u16)> {
        let client = Client::connect_with(sentinel.clone()).await?;
        let reply: Option<Vec<String>> = client
            .send(
                Raw::new("SENTINEL")
                    .arg("GET-MASTER-ADDR-BY-NAME")
                    .arg(self.config.name.as_str()),
            )
            .await?;
        let unknown = || {
            Error::new(
                ErrorKind::Server,
                Outcome::NotSent,
                format!(
                    "sentinel {} knows no master named {}",
                    sentinel.addr(),
                    self.config.name
                ),
            )
        };
        match reply.as_deref() {
            Some([host, port]) => Ok((host.clone(), port.parse().map_err(|_| unknown())?)),
            _ => Err(unknown()),
        }
    }

    fn is_current(&self, addr: &str) -> bool {
        self.current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_deref()
            == Some(addr)
    }
}

impl Client {
    /// Connects to the master named in `config` through its sentinels, and
    /// follows failovers: every (re)connect asks the sentinels where the
    /// master is and checks with ROLE that it is one, and on a sentinel's
    /// `+switch-master` for this name the connection moves to the new master
    /// at once (commands in flight on the old one fail with
    /// [`Outcome::Unknown`], as on any lost connection; read-only ones are
    /// sent again).
    ///
    /// ```no_run
    /// # async fn demo() -> redtyped::Result<()> {
    /// use redtyped::{Client, SentinelConfig};
    /// let config = SentinelConfig::new("mymaster", ["redis://127.0.0.1:26379"])?;
    /// let client = Client::connect_sentinel(config).await?;
    /// client.set("k", "v").await?;
    /// # Ok(()) }
    /// ```
    pub async fn connect_sentinel(config: SentinelConfig) -> Result<Client> {
        let sentinels = config.sentinels.clone();
        let name = config.name.clone();
        let resolver = Arc::new(Resolver::new(config));
        let client = Client::open_sentinel(resolver.clone()).await?;
        for sentinel in sentinels {
            tokio::spawn(follow(
                sentinel,
                name.clone(),
                resolver.clone(),
                Arc::downgrade(client.queue()),
            ));
        }
        Ok(client)
    }
}

/// Listens to one sentinel's `+switch-master` and moves the client's
/// connection when its master changed, until the client is gone.
async fn follow(sentinel: Config, name: String, resolver: Arc<Resolver>, queue: Weak<Queue>) {
    let Ok((subscriber, mut messages)) = crate::pubsub::Subscriber::connect(sentinel).await else {
        return;
    };
    if subscriber.subscribe(["+switch-master"]).await.is_err() {
        return;
    }
    loop {
        let next = tokio::time::timeout(Duration::from_secs(1), messages.next()).await;
        let Some(queue) = queue.upgrade() else { return };
        if queue.is_released() {
            return;
        }
        let event = match next {
            Err(_) => continue,
            Ok(None) => return,
            Ok(Some(event)) => event,
        };
        let Some(message) = event.into_message() else {
            continue;
        };
        // "<name> <old-ip> <old-port> <new-ip> <new-port>"
        let text = String::from_utf8_lossy(message.payload()).into_owned();
        let words: Vec<&str> = text.split(' ').collect();
        if let [master, _, _, host, port] = words.as_slice() {
            let new = format!("{host}:{port}");
            if *master == name && !resolver.is_current(&new) {
                queue.kick();
            }
        }
    }
}

/// How a connection is (re)established: to a fixed address, or to whatever
/// the sentinels say the master is.
pub(crate) enum Connector {
    Direct(Box<Config>),
    Sentinel(Arc<Resolver>),
}

impl Connector {
    pub async fn connect(&self) -> Result<Connected> {
        match self {
            Connector::Direct(config) => connection::connect(config).await,
            Connector::Sentinel(resolver) => resolver.connect().await.map(|(c, _)| c),
        }
    }

    /// The address (or sentinel master name) for messages.
    pub fn describe(&self) -> String {
        match self {
            Connector::Direct(config) => config.addr().to_string(),
            Connector::Sentinel(resolver) => match resolver
                .current
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .as_deref()
            {
                Some(addr) => format!("{addr} (master {})", resolver.config.name),
                None => format!("master {}", resolver.config.name),
            },
        }
    }
}
