//! Faults between the client and the server, made with real servers and the
//! harness's [`Proxy`]: connections dropped or killed mid-way through
//! thousands of commands, a server killed and restarted, a stalled server,
//! truncated and corrupted replies, and a long outage under load.
//!
//! The invariant checked everywhere: every request resolves exactly once,
//! with its own reply, or with an error saying it was not sent, or that its
//! outcome is unknown; and the client works again afterwards.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use redtyped::{Client, Config, ErrorKind, Outcome, Protocol, Raw, cmd};
use redtyped_tests::resp::encode_command;
use redtyped_tests::{Direction, Proxy, Server, shared, unique_key, wait_until_async};
use tokio::task::JoinSet;

use crate::support::{PROTOCOLS, client_on};

/// Deadline for anything a fault test waits on.
const DEADLINE: Duration = Duration::from_secs(30);
const INCRS: usize = 10_000;

/// A client on `proxy`, speaking `protocol`, once the proxy holds its
/// connection (a RESP2 client without AUTH, SETNAME or SELECT sends nothing
/// at connect, so it is connected before the proxy has even accepted).
async fn client_via(proxy: &Proxy, protocol: Protocol) -> Client {
    let open = proxy.open();
    let client = Client::connect_with(Config::new("127.0.0.1", proxy.port()).resp(protocol))
        .await
        .unwrap_or_else(|e| panic!("connect through the proxy ({protocol:?}): {e}"));
    wait_until_async(
        DEADLINE,
        "the proxy to hold the client's connection",
        || {
            let held = proxy.open() == open + 1;
            async move { held }
        },
    )
    .await;
    client
}

/// The bytes one `INCR key` takes on the wire.
fn incr_bytes(key: &str) -> u64 {
    encode_command(&["INCR", key]).len() as u64
}

/// The counter at `key` as the server has it (0 when missing).
fn counter(server: &Server, key: &str) -> u64 {
    let reply = server.cli(&["GET", key]);
    if reply == "$-1\r\n" {
        return 0;
    }
    reply
        .lines()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("GET {key}: {reply:?}"))
}

/// Waits until the server's counter at `key` is `value`.
async fn counter_reaches(server: &Server, key: &str, value: u64) {
    wait_until_async(DEADLINE, &format!("{key} to reach {value}"), || {
        let now = counter(server, key);
        async move { now == value }
    })
    .await;
}

/// Waits until a command on `client` succeeds again.
async fn works_again(client: &Client) {
    wait_until_async(DEADLINE, "the client to work again", || {
        let client = client.clone();
        async move { client.ping().await.is_ok() }
    })
    .await;
}

/// How the requests of a fault test resolved.
#[derive(Debug, Default)]
struct Tally {
    /// The values acknowledged.
    acked: Vec<i64>,
    unknown: u64,
    not_sent: u64,
}

impl Tally {
    /// Counts a failure by its outcome; an acknowledged value is returned for the caller to check.
    fn record<'r, T>(&mut self, result: &'r redtyped::Result<T>) -> Option<&'r T> {
        match result {
            Ok(value) => return Some(value),
            Err(e) if e.outcome() == Outcome::Unknown => self.unknown += 1,
            Err(e) if e.outcome() == Outcome::NotSent => self.not_sent += 1,
            Err(e) => panic!("a failure that claims to be complete: {e}"),
        }
        None
    }

    /// The counter the server ends with lies between what was acknowledged
    /// and that plus what may have run.
    fn assert_bounds(&self, counter: u64) {
        let acked = self.acked.len() as u64;
        assert!(
            acked <= counter && counter <= acked + self.unknown,
            "counter {counter} outside [acknowledged {acked}, acknowledged + unknown {}] ({self:?})",
            acked + self.unknown
        );
    }
}

/// Sends `INCRS` INCRs of `key` as concurrent futures (all queued at once,
/// in order) and returns the tasks awaiting them and a count of the
/// acknowledged ones.
fn spawn_incrs(
    client: &Client,
    key: &str,
) -> (JoinSet<(usize, redtyped::Result<i64>)>, Arc<AtomicU64>) {
    let acked = Arc::new(AtomicU64::new(0));
    let mut tasks = JoinSet::new();
    for index in 0..INCRS {
        let reply = client.send(cmd::incr(key));
        let acked = acked.clone();
        tasks.spawn(async move {
            let result = reply.await;
            if result.is_ok() {
                acked.fetch_add(1, Ordering::SeqCst);
            }
            (index, result)
        });
    }
    (tasks, acked)
}

/// Collects the INCRs' results: each resolves exactly once, and an
/// acknowledged one has its own reply (INCR number `index` returns `index + 1`,
/// as they were queued in order and nothing else touches the key).
async fn collect_incrs(mut tasks: JoinSet<(usize, redtyped::Result<i64>)>) -> Tally {
    let mut tally = Tally::default();
    let mut seen = vec![false; INCRS];
    let all = async {
        while let Some(joined) = tasks.join_next().await {
            let (index, result) = joined.expect("an INCR task panicked");
            assert!(!seen[index], "INCR {index} resolved twice");
            seen[index] = true;
            if let Some(&n) = tally.record(&result) {
                assert_eq!(
                    n,
                    index as i64 + 1,
                    "INCR {index} got another request's reply"
                );
                tally.acked.push(n);
            }
        }
    };
    tokio::time::timeout(DEADLINE, all)
        .await
        .expect("every INCR resolves in time");
    assert!(seen.iter().all(|&s| s), "an INCR never resolved");
    tally
}

#[tokio::test]
async fn connections_dropped_in_the_middle_of_10_000_incrs_lose_no_count_and_misroute_no_reply() {
    for protocol in PROTOCOLS {
        let proxy = Proxy::start(&shared().addr());
        let client = client_via(&proxy, protocol).await;
        let key = unique_key("incr-dropped");
        let size = incr_bytes(&key);
        // 3,000 INCRs reach the server and are acknowledged; 2,500 more run
        // but their replies are held; the rest never reach the server. Then
        // the connection drops.
        proxy.pause_after(Direction::ToServer, 3_000 * size);
        let (tasks, acked) = spawn_incrs(&client, &key);
        wait_until_async(DEADLINE, "3,000 acknowledged INCRs", || {
            let n = acked.load(Ordering::SeqCst);
            async move { n == 3_000 }
        })
        .await;
        proxy.pause(Direction::ToClient);
        proxy.pause_after(Direction::ToServer, 2_500 * size);
        proxy.resume(Direction::ToServer);
        counter_reaches(shared(), &key, 5_500).await;
        proxy.drop_all();
        proxy.resume(Direction::ToServer);
        proxy.resume(Direction::ToClient);

        let tally = collect_incrs(tasks).await;
        assert_eq!(tally.acked.len(), 3_000, "{protocol:?}: {tally:?}");
        assert_eq!(
            tally.unknown, 7_000,
            "{protocol:?}: every INCR was written, so none is NotSent"
        );
        tally.assert_bounds(counter(shared(), &key));

        works_again(&client).await;
        assert_eq!(client.incr(&key).await.unwrap(), 5_501, "{protocol:?}");
        assert_eq!(client.stats().reconnects, 1);
        assert_eq!(
            client.stats().in_flight,
            0,
            "{protocol:?}: {:?}",
            client.stats()
        );
    }
}

#[tokio::test]
async fn pipelines_dropped_in_the_middle_resolve_whole_and_misroute_no_reply() {
    const BATCHES: usize = 10;
    const PER_BATCH: usize = 1_000;
    for protocol in PROTOCOLS {
        let proxy = Proxy::start(&shared().addr());
        let client = client_via(&proxy, protocol).await;
        let key = unique_key("pipelined-dropped");
        let size = incr_bytes(&key);
        proxy.pause_after(Direction::ToServer, 3 * PER_BATCH as u64 * size);
        let done = Arc::new(AtomicU64::new(0));
        let mut tasks = JoinSet::new();
        for _ in 0..BATCHES {
            let (client, key, done) = (client.clone(), key.clone(), done.clone());
            tasks.spawn(async move {
                let result = client
                    .pipeline()
                    .extend((0..PER_BATCH).map(|_| cmd::incr(&key)))
                    .execute()
                    .await;
                done.fetch_add(1, Ordering::SeqCst);
                result
            });
        }
        wait_until_async(DEADLINE, "3 acknowledged pipelines", || {
            let n = done.load(Ordering::SeqCst);
            async move { n == 3 }
        })
        .await;
        proxy.pause(Direction::ToClient);
        proxy.pause_after(Direction::ToServer, 2_500 * size);
        proxy.resume(Direction::ToServer);
        counter_reaches(shared(), &key, 5_500).await;
        proxy.drop_all();
        proxy.resume(Direction::ToServer);
        proxy.resume(Direction::ToClient);

        let mut tally = Tally::default();
        let results = tokio::time::timeout(DEADLINE, tasks.join_all())
            .await
            .expect("every pipeline resolves in time");
        let mut pipelines_unknown = 0;
        for result in &results {
            match result {
                // A pipeline's replies are its own: consecutive counts.
                Ok(counts) => {
                    assert_eq!(counts.len(), PER_BATCH);
                    assert!(
                        counts.windows(2).all(|w| w[1] == w[0] + 1),
                        "{protocol:?}: a pipeline's replies are not its own"
                    );
                    tally.acked.extend(counts);
                }
                Err(e) => {
                    assert_eq!(e.outcome(), Outcome::Unknown, "{protocol:?}: {e}");
                    pipelines_unknown += 1;
                    tally.unknown += PER_BATCH as u64;
                }
            }
        }
        assert_eq!(results.len(), BATCHES);
        assert_eq!(pipelines_unknown, 7, "{protocol:?}");
        let distinct: HashSet<i64> = tally.acked.iter().copied().collect();
        assert_eq!(
            distinct.len(),
            tally.acked.len(),
            "a count acknowledged twice"
        );
        assert_eq!(distinct, (1..=3_000).collect(), "{protocol:?}");
        tally.assert_bounds(counter(shared(), &key));

        works_again(&client).await;
        let again: Vec<i64> = client
            .pipeline()
            .extend((0..3).map(|_| cmd::incr(&key)))
            .execute()
            .await
            .unwrap();
        assert_eq!(again, [5_501, 5_502, 5_503], "{protocol:?}");
        assert_eq!(
            client.stats().in_flight,
            0,
            "{protocol:?}: {:?}",
            client.stats()
        );
    }
}

#[tokio::test]
async fn a_server_killed_and_restarted_in_the_middle_of_10_000_incrs_keeps_the_counter_in_bounds() {
    for protocol in PROTOCOLS {
        // With every write fsynced before its reply, what was acknowledged
        // survives SIGKILL: the restarted server's counter can be checked.
        let mut server = Server::builder()
            .config("appendonly", "yes")
            .config("appendfsync", "always")
            .start();
        let proxy = Proxy::start(&server.addr());
        let client = client_via(&proxy, protocol).await;
        let key = unique_key("incr-killed");
        // 5,000 INCRs reach the server; it is killed once they ran, with
        // their replies on the way and the other 5,000 held in the proxy.
        proxy.pause_after(Direction::ToServer, 5_000 * incr_bytes(&key));
        let (tasks, _) = spawn_incrs(&client, &key);
        counter_reaches(&server, &key, 5_000).await;
        server.kill();
        let tally = collect_incrs(tasks).await;
        proxy.resume(Direction::ToServer);
        server.restart();

        let survived = counter(&server, &key);
        assert_eq!(survived, 5_000, "{protocol:?}: the AOF keeps what ran");
        tally.assert_bounds(survived);
        assert_eq!(
            tally.acked.len() as u64 + tally.unknown + tally.not_sent,
            INCRS as u64
        );
        works_again(&client).await;
        assert_eq!(client.incr(&key).await.unwrap(), 5_001, "{protocol:?}");
        assert!(client.stats().reconnects >= 1);
    }
}

#[tokio::test]
async fn client_kill_fails_what_was_in_flight_as_unknown_and_the_client_reconnects() {
    for protocol in PROTOCOLS {
        let client = client_on(shared(), protocol).await;
        let id: i64 = client.client_id().await.unwrap();
        let list = unique_key("never-pushed");
        let key = unique_key("killed-incr");
        // BLPOP blocks the connection on the server; the INCRs wait behind it.
        let blocked = client.send(Raw::<()>::new("BLPOP").arg(&list).arg("10"));
        let behind: Vec<_> = (0..10).map(|_| client.send(cmd::incr(&key))).collect();
        wait_until_async(DEADLINE, "BLPOP to block", || {
            let waiting = shared()
                .cli(&["CLIENT", "LIST", "ID", &id.to_string()])
                .contains("cmd=blpop");
            async move { waiting }
        })
        .await;
        assert_eq!(
            shared().cli(&["CLIENT", "KILL", "ID", &id.to_string()]),
            ":1\r\n"
        );
        let e = blocked.await.unwrap_err();
        assert_eq!(e.outcome(), Outcome::Unknown, "{protocol:?}: {e}");
        for reply in behind {
            let e = reply.await.unwrap_err();
            assert_eq!(e.outcome(), Outcome::Unknown, "{protocol:?}: {e}");
            assert_eq!(e.command(), Some("INCR"));
        }
        works_again(&client).await;
        assert_ne!(client.client_id().await.unwrap(), id, "a new connection");
        assert_eq!(client.stats().reconnects, 1, "{protocol:?}");
        // The INCRs were reported unknown; in fact they never ran.
        assert_eq!(client.incr(&key).await.unwrap(), 1);
    }
}

/// After a timeout, every command gets its own reply: each ECHO either times
/// out (while the server is still stalled) or returns its own nonce; once the
/// stall is over, a burst of them all do.
async fn assert_in_step_after_timeouts(client: &Client, protocol: Protocol) {
    let mut attempt = 0;
    wait_until_async(DEADLINE, "an ECHO to get its own reply", || {
        attempt += 1;
        let client = client.clone();
        let nonce = unique_key(&format!("after-stall-{attempt}"));
        async move {
            match client.echo::<String>(&nonce).await {
                Ok(echoed) => {
                    assert_eq!(
                        echoed, nonce,
                        "{protocol:?}: a reply shifted after a timeout"
                    );
                    true
                }
                Err(e) => {
                    assert!(e.is_timeout(), "{protocol:?}: {e}");
                    false
                }
            }
        }
    })
    .await;
    let nonces: Vec<String> = (0..100)
        .map(|i| unique_key(&format!("burst-{i}")))
        .collect();
    let replies: Vec<_> = nonces
        .iter()
        .map(|n| client.echo::<String>(n).into_future())
        .collect();
    for (nonce, reply) in nonces.iter().zip(replies) {
        assert_eq!(&reply.await.unwrap(), nonce, "{protocol:?}");
    }
    assert_eq!(
        client.stats().reconnects,
        0,
        "a timeout does not drop the connection"
    );
}

use std::future::IntoFuture;

#[tokio::test]
async fn client_pause_makes_the_response_timeout_fire_and_the_connection_stays_in_step() {
    let server = Server::start();
    for protocol in PROTOCOLS {
        let config = Config::from_url(&server.url())
            .unwrap()
            .resp(protocol)
            .response_timeout(Duration::from_millis(200));
        let client = Client::connect_with(config).await.unwrap();
        let key = unique_key("paused");
        client.set(&key, "before the pause").await.unwrap();
        assert_eq!(server.cli(&["CLIENT", "PAUSE", "1000", "ALL"]), "+OK\r\n");
        let e = client.get::<String>(&key).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Timeout, "{protocol:?}: {e}");
        assert_eq!(e.outcome(), Outcome::Unknown);
        assert_in_step_after_timeouts(&client, protocol).await;
        assert_eq!(
            client.get::<String>(&key).await.unwrap().as_deref(),
            Some("before the pause")
        );
    }
}

#[tokio::test]
async fn debug_sleep_makes_the_response_timeout_fire_and_the_connection_stays_in_step() {
    let server = Server::start();
    for protocol in PROTOCOLS {
        let config = Config::from_url(&server.url())
            .unwrap()
            .resp(protocol)
            .response_timeout(Duration::from_millis(200));
        let client = Client::connect_with(config).await.unwrap();
        let key = unique_key("slept");
        client.set(&key, "before the sleep").await.unwrap();
        // The server sleeps a second on this very connection, so the GET behind it must wait.
        let sleeping = client.send(Raw::<()>::new("DEBUG").arg("SLEEP").arg("1"));
        let behind = client.get::<String>(&key).into_future();
        for e in [sleeping.await.unwrap_err(), behind.await.unwrap_err()] {
            assert_eq!(e.kind(), ErrorKind::Timeout, "{protocol:?}: {e}");
            assert_eq!(e.outcome(), Outcome::Unknown);
        }
        assert_in_step_after_timeouts(&client, protocol).await;
        assert_eq!(
            client.get::<String>(&key).await.unwrap().as_deref(),
            Some("before the sleep")
        );
    }
}

#[tokio::test]
async fn a_reply_cut_in_the_middle_is_a_protocol_error_and_a_fresh_connection_follows() {
    let key = unique_key("large");
    let value: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    client_on(shared(), Protocol::Resp3)
        .await
        .set(&key, value.clone())
        .await
        .unwrap();
    for protocol in PROTOCOLS {
        let proxy = Proxy::start(&shared().addr());
        let client = client_via(&proxy, protocol).await;
        // A raw GET: the client cannot tell it only reads, so it is not sent again.
        proxy.cut_after(Direction::ToClient, 1_000);
        let e = client
            .send(Raw::<Option<Vec<u8>>>::new("GET").arg(&key))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol, "{protocol:?}: {e}");
        assert_eq!(e.outcome(), Outcome::Unknown);
        assert!(e.to_string().contains("truncated"), "{e}");
        works_again(&client).await;
        assert_eq!(client.stats().reconnects, 1, "{protocol:?}");
        // The typed GET is read-only: cut the same way, it is sent again once
        // on a fresh connection and gets its whole reply.
        proxy.cut_after(Direction::ToClient, 1_000);
        assert_eq!(
            client.get::<Vec<u8>>(&key).await.unwrap(),
            Some(value.clone())
        );
        assert_eq!(client.stats().reconnects, 2, "{protocol:?}");
        assert_eq!(client.stats().retried, 1, "{protocol:?}");
    }
}

#[tokio::test]
async fn a_clean_close_between_replies_stays_an_io_error() {
    for protocol in PROTOCOLS {
        let proxy = Proxy::start(&shared().addr());
        let client = client_via(&proxy, protocol).await;
        let list = unique_key("never-pushed");
        let blocked = client.send(Raw::<()>::new("BLPOP").arg(&list).arg("10"));
        wait_until_async(DEADLINE, "BLPOP to reach the server", || {
            let sent = proxy.forwarded(Direction::ToServer) > 0;
            async move { sent }
        })
        .await;
        proxy.drop_all();
        let e = blocked.await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Io, "{protocol:?}: {e}");
        assert_eq!(e.outcome(), Outcome::Unknown);
        works_again(&client).await;
    }
}

#[tokio::test]
async fn corrupt_bytes_in_place_of_a_reply_are_a_protocol_error_and_a_fresh_connection_follows() {
    let key = unique_key("corrupted");
    client_on(shared(), Protocol::Resp3)
        .await
        .set(&key, "intact")
        .await
        .unwrap();
    for protocol in PROTOCOLS {
        let proxy = Proxy::start(&shared().addr());
        let client = client_via(&proxy, protocol).await;
        proxy.pause(Direction::ToClient);
        let before = proxy.forwarded(Direction::ToServer);
        // Raw, so it is not sent again after the connection is dropped.
        let reply = tokio::spawn(client.send(Raw::<Option<String>>::new("GET").arg(&key)));
        wait_until_async(DEADLINE, "the GET to reach the server", || {
            let sent = proxy.forwarded(Direction::ToServer) > before;
            async move { sent }
        })
        .await;
        proxy.inject(b"@not a reply\r\n");
        let e = reply.await.unwrap().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol, "{protocol:?}: {e}");
        assert_eq!(e.outcome(), Outcome::Unknown);
        proxy.resume(Direction::ToClient);
        works_again(&client).await;
        assert_eq!(client.stats().reconnects, 1, "{protocol:?}");
        assert_eq!(
            client.get::<String>(&key).await.unwrap().as_deref(),
            Some("intact")
        );
    }
}

/// Resident memory of this process, in bytes.
fn rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("resident pages in statm");
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages * page as u64
}

#[tokio::test]
async fn a_thousand_callers_through_a_ten_second_outage_all_get_answers_and_reconnects_back_off() {
    const CALLERS: usize = 1_000;
    const OUTAGE: Duration = Duration::from_secs(10);
    // Attempt k waits at least half of min(10 ms * 2^k, 2 s): the first 8
    // attempts take at least 1.275 s together, each later one at least 1 s,
    // so 10 s hold at most 8 + 9 attempts, plus the one that noticed.
    const MAX_ATTEMPTS: u64 = 20;
    let proxy = Proxy::start(&shared().addr());
    let client = client_via(&proxy, Protocol::Resp3).await;
    let key = unique_key("outage");
    client.incr(&key).await.unwrap();

    proxy.refuse();
    let accepted_before = proxy.accepted();
    proxy.drop_all();
    let end = tokio::time::Instant::now() + OUTAGE;
    let over = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut callers = JoinSet::new();
    for caller in 0..CALLERS {
        let (client, key, over) = (client.clone(), key.clone(), over.clone());
        callers.spawn(async move {
            let (mut answers, mut late_successes) = (0u64, 0i64);
            while tokio::time::Instant::now() < end {
                // The longest wait is one back-off period (2 s) plus a refused connect.
                let result = tokio::time::timeout(Duration::from_secs(5), client.incr(&key))
                    .await
                    .unwrap_or_else(|_| panic!("caller {caller} got no answer in 5 s"));
                match result {
                    // A command sent just before the outage ended may be answered after it.
                    Ok(_) => {
                        assert!(
                            over.load(Ordering::SeqCst),
                            "no command can succeed during the outage"
                        );
                        late_successes += 1;
                    }
                    Err(e) => assert_eq!(e.outcome(), Outcome::NotSent, "{e}"),
                }
                answers += 1;
            }
            (answers, late_successes)
        });
    }
    let rss_start = rss();
    let mut max_in_flight = 0;
    let mut max_rss = rss_start;
    while tokio::time::Instant::now() < end {
        max_in_flight = max_in_flight.max(client.stats().in_flight);
        max_rss = max_rss.max(rss());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let attempts = proxy.accepted() - accepted_before;
    over.store(true, Ordering::SeqCst);
    proxy.allow();
    let answers = tokio::time::timeout(DEADLINE, callers.join_all())
        .await
        .expect("every caller finishes");
    let total: u64 = answers.iter().map(|a| a.0).sum();
    let late_successes: i64 = answers.iter().map(|a| a.1).sum();
    eprintln!(
        "outage: {attempts} reconnect attempts, {total} answers to {CALLERS} callers, \
         in flight at most {max_in_flight}, RSS {} -> at most {} KiB",
        rss_start / 1024,
        max_rss / 1024
    );
    assert!(answers.iter().all(|a| a.0 >= 1), "every caller got answers");
    assert!(
        (3..=MAX_ATTEMPTS).contains(&attempts),
        "{attempts} reconnect attempts in {OUTAGE:?}: they must go on, and back off"
    );
    // What is waiting is bounded by the callers, not by the time or the attempts.
    assert!(
        max_in_flight <= CALLERS as u64,
        "{max_in_flight} commands in flight for {CALLERS} callers"
    );
    assert!(
        max_rss - rss_start < 256 << 20,
        "memory grew by {} MiB during the outage",
        (max_rss - rss_start) >> 20
    );
    works_again(&client).await;
    assert_eq!(
        client.incr(&key).await.unwrap(),
        2 + late_successes,
        "only the commands that succeeded ran: none answered NotSent did"
    );
    assert_eq!(client.stats().in_flight, 0, "{:?}", client.stats());
}
