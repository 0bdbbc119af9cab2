//! Keyspace notifications: watch keys change through pub/sub.
//!
//! ```sh
//! cargo run -p redtyped --example keyspace
//! ```
//!
//! Turns on `notify-keyspace-events` (and puts the old setting back at the
//! end), subscribes to the keyspace channel of every key under `keyspace-demo:`
//! and to the `expired` key-event channel, then changes and expires a key
//! and prints each notification as it arrives.
//!
//! Connects to `REDIS_URL` if set, else to `redis://127.0.0.1:6379`; when
//! nothing answers there and `redis-server` is installed, it starts a
//! throwaway server on a free port for the length of the example.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use redtyped::Client;
use redtyped::pubsub::Event;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (client, _server) = connect().await?;
    let db = client.db();
    println!(
        "connected to {} (db {db}) over {:?}",
        client.addr(),
        client.resp()
    );

    // K: keyspace channels (`__keyspace@<db>__:<key>`, the event as payload);
    // E: key-event channels (`__keyevent@<db>__:<event>`, the key as payload);
    // A: every class of event.
    let before = client.config_get(["notify-keyspace-events"]).await?;
    client
        .config_set([("notify-keyspace-events", "KEA")])
        .await?;

    let (subscriber, mut messages) = client.subscriber().await?;
    subscriber
        .psubscribe([format!("__keyspace@{db}__:keyspace-demo:*")])
        .await?;
    let mut expired = subscriber
        .channel(format!("__keyevent@{db}__:expired"))
        .await?;

    client.set("keyspace-demo:greeting", "hello").await?;
    client.append("keyspace-demo:greeting", ", world").await?;
    client.pexpire("keyspace-demo:greeting", 50).await?;

    // One notification per change: set, append, expire, then expired.
    for _ in 0..4 {
        match tokio::time::timeout(Duration::from_secs(5), messages.next()).await? {
            Some(Event::Message(m)) => println!(
                "{} -> {}",
                String::from_utf8_lossy(m.channel()),
                m.decode::<String>()?
            ),
            Some(other) => println!("{other:?}"),
            None => break,
        }
    }
    if let Some(Event::Message(m)) =
        tokio::time::timeout(Duration::from_secs(5), expired.next()).await?
    {
        println!("expired key: {}", m.decode::<String>()?);
    }

    let old = before
        .get("notify-keyspace-events")
        .cloned()
        .unwrap_or_default();
    client.config_set([("notify-keyspace-events", old)]).await?;
    subscriber.close();
    Ok(())
}

/// A `redis-server` started for this example, stopped when dropped.
struct Throwaway(Child);

impl Drop for Throwaway {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn connect() -> Result<(Client, Option<Throwaway>), Box<dyn std::error::Error>> {
    if let Ok(url) = std::env::var("REDIS_URL") {
        return Ok((Client::connect(&url).await?, None));
    }
    if let Ok(client) = Client::connect("redis://127.0.0.1:6379").await {
        return Ok((client, None));
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| {
            format!(
                "no Redis at 127.0.0.1:6379 and cannot start redis-server ({e}); install it with \
                 `apt-get install -y redis-server`, or set REDIS_URL"
            )
        })?;
    let server = Throwaway(child);
    println!("no Redis at 127.0.0.1:6379: started a throwaway redis-server on port {port}");
    let url = format!("redis://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match Client::connect(&url).await {
            Ok(client) => return Ok((client, Some(server))),
            Err(e) if Instant::now() > deadline => return Err(e.into()),
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}
