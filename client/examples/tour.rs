//! A tour of redtyped: typed commands, options that change the reply type,
//! commands as values, and readable errors.
//!
//! ```sh
//! cargo run -p redtyped --example tour
//! ```
//!
//! Connects to `REDIS_URL` if set, else to `redis://127.0.0.1:6379`; when
//! nothing answers there and `redis-server` is installed, it starts a
//! throwaway server on a free port for the length of the tour.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use redtyped::prelude::*;
use redtyped::{Client, FromHash, ToHash, cmd};

/// A struct stored as a hash, field by field.
#[derive(ToHash, FromHash, Debug)]
struct User {
    name: String,
    age: u32,
    #[redis(rename = "e")]
    email: Option<String>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (client, _server) = connect().await?;
    println!("connected to {} over {:?}", client.addr(), client.resp());

    // Plain commands: the reply type is the command's.
    client.set("tour:greeting", "hello").await?;
    let greeting: Option<String> = client.get("tour:greeting").await?;
    println!("GET tour:greeting -> {greeting:?}");

    // Options are builder methods; some change the reply type.
    let created: bool = client.set("tour:lock", "me").nx().ex(30).await?;
    let again: bool = client.set("tour:lock", "you").nx().ex(30).await?;
    println!("SET NX EX -> {created}, then {again}");
    let old: Option<String> = client.set("tour:greeting", "bonjour").get().await?;
    println!("SET GET -> old value {old:?}");

    // User data decodes into the type you ask for.
    client.del(["tour:visits"]).await?;
    let visits: i64 = client.incr("tour:visits").await?;
    let as_text: Option<String> = client.get("tour:visits").await?;
    let as_number: Option<u32> = client.get("tour:visits").await?;
    println!("INCR -> {visits}; GET as String {as_text:?}, as u32 {as_number:?}");

    // Sorted sets: WITHSCORES turns members into (member, score) pairs.
    client.del(["tour:scores"]).await?;
    client
        .zadd(
            "tour:scores",
            [(3.5, "carol"), (1.0, "alice"), (2.0, "bob")],
        )
        .await?;
    let members: Vec<String> = client.zrange("tour:scores", 0, -1).await?;
    let scored: Vec<(String, f64)> = client.zrange("tour:scores", 0, -1).withscores().await?;
    println!("ZRANGE -> {members:?}\nZRANGE WITHSCORES -> {scored:?}");

    // Hashes into any map type.
    client
        .hset("tour:user", [("name", "Ada"), ("lang", "en")])
        .await?;
    let user: std::collections::BTreeMap<String, String> = client.hgetall("tour:user").await?;
    println!("HGETALL -> {user:?}");

    // A command is a value; the same value can be sent later.
    let command = cmd::incrby("tour:visits", 10);
    let visits: i64 = client.send(command).await?;
    println!("send(cmd::incrby) -> {visits}");

    // Concurrent callers share one connection and are pipelined automatically.
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.incr("tour:visits").await })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    let visits: Option<i64> = client.get("tour:visits").await?;
    println!("after 100 concurrent INCRs -> {visits:?}");

    // Pipelines keep every reply's type; options still change them.
    let (greeting, visits, locked): (Option<String>, i64, bool) = client
        .pipeline()
        .get("tour:greeting")
        .incr("tour:visits")
        .set("tour:lock", "again")
        .nx()
        .execute()
        .await?;
    println!("pipeline -> {greeting:?}, {visits}, {locked}");

    // MULTI/EXEC with the same chain; WATCH with retries for read-modify-write.
    let ((), n): ((), i64) = client
        .transaction()
        .set("tour:a", "1")
        .incr("tour:visits")
        .execute()
        .await?;
    println!("transaction -> {n}");
    let doubled: i64 = client
        .watching(["tour:visits"], |tx| async move {
            let v: i64 = tx.get::<i64>("tour:visits").await?.unwrap_or(0);
            tx.multi().set("tour:visits", v * 2).execute().await?;
            Ok(v * 2)
        })
        .await?;
    println!("watched read-modify-write -> {doubled}");

    // Structs as hashes.
    let ada = User {
        name: "Ada".into(),
        age: 36,
        email: None,
    };
    client.hset("tour:user:ada", &ada).await?;
    let back: Option<User> = client.hgetall("tour:user:ada").await?;
    println!("HSET/HGETALL of a struct -> {back:?}");

    // Errors are readable and the connection stays usable.
    match client.incr("tour:greeting").await {
        Ok(n) => println!("unexpected: {n}"),
        Err(e) => println!("INCR on text -> {e}"),
    }
    let pong: String = client.ping().await?;
    println!("PING -> {pong}");
    client
        .del([
            "tour:greeting",
            "tour:lock",
            "tour:visits",
            "tour:scores",
            "tour:user",
        ])
        .await?;
    Ok(())
}

/// A server started for the tour, stopped when dropped.
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
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
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
