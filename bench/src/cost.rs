//! What a client costs besides time: allocations per command, memory held
//! idle and with 1,024 requests in flight, and a cold build.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::counting_alloc;
use crate::peers::Peer;
use crate::workload::{value, value_key};

/// Allocations per GET and per SET (100-byte value, one task), warm.
#[derive(Debug, Clone, Copy, Default)]
pub struct Allocations {
    pub per_get: f64,
    pub per_set: f64,
}

/// Counts the allocations of `commands` sequential GETs, then SETs, after a
/// warm-up (buffers grown, connection settled), across every thread.
pub async fn allocations<P: Peer>(url: &str, commands: usize) -> Allocations {
    let mut client = P::connect(url).await;
    let key = value_key(100);
    let write_key = format!("bench:alloc:{}", P::NAME);
    let value = value(100);
    for _ in 0..1000 {
        client.get(&key).await;
        client.set(&write_key, &value).await;
    }
    let before = counting_alloc::allocations();
    for _ in 0..commands {
        std::hint::black_box(client.get(&key).await);
    }
    let per_get = (counting_alloc::allocations() - before) as f64 / commands as f64;
    let before = counting_alloc::allocations();
    for _ in 0..commands {
        client.set(&write_key, &value).await;
    }
    let per_set = (counting_alloc::allocations() - before) as f64 / commands as f64;
    Allocations { per_get, per_set }
}

/// Memory a client holds, measured in a process of its own so the resident
/// size is not blurred by other clients' freed pages.
#[derive(Debug, Clone, Copy, Default)]
pub struct Memory {
    /// Heap bytes held by a connected, idle client.
    pub idle_heap: isize,
    /// Resident-size growth (pages touched) for the idle client.
    pub idle_rss: isize,
    /// Heap bytes held while 1,024 tasks each wait for a GET.
    pub busy_heap: isize,
    /// Resident-size growth while 1,024 tasks each wait for a GET.
    pub busy_rss: isize,
}

impl Memory {
    fn to_line(self) -> String {
        format!(
            "memory {} {} {} {}",
            self.idle_heap, self.idle_rss, self.busy_heap, self.busy_rss
        )
    }

    fn from_line(line: &str) -> Option<Memory> {
        let mut fields = line.strip_prefix("memory ")?.split(' ').map(str::parse);
        let mut next = || fields.next()?.ok();
        Some(Memory {
            idle_heap: next()?,
            idle_rss: next()?,
            busy_heap: next()?,
            busy_rss: next()?,
        })
    }
}

fn resident_bytes() -> isize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: isize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// Runs the memory probe for `peer` in a child process (this binary with
/// `--memory-probe`) and reads its figures.
pub fn memory(peer: &str, url: &str) -> Memory {
    let exe = std::env::current_exe().expect("the benchmark's own path");
    let output = Command::new(exe)
        .args(["--memory-probe", peer, "--url", url])
        .output()
        .expect("run the memory probe");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the memory probe for {peer} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    text.lines()
        .find_map(Memory::from_line)
        .unwrap_or_else(|| panic!("the memory probe for {peer} printed no figures: {text}"))
}

/// The child's side: connect, measure idle; pause the server, start 1,024
/// GETs, measure while they wait; let them finish. Prints one line.
pub async fn memory_probe<P: Peer>(url: &str) {
    let admin = redtyped::Client::connect(url).await.expect("admin connect");
    let key = value_key(100);
    let (heap0, rss0) = (counting_alloc::live_bytes(), resident_bytes());
    let mut client = P::connect(url).await;
    client.get(&key).await;
    let (heap1, rss1) = (counting_alloc::live_bytes(), resident_bytes());

    // The server holds every command for 300 ms (redis-rs gives up after 500 ms), so all 1,024 stay in flight.
    let _: () = admin
        .send(redtyped::Raw::new("CLIENT").args(["PAUSE", "300", "ALL"]))
        .await
        .expect("CLIENT PAUSE");
    let started = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..1024)
        .map(|_| {
            let mut client = client.clone();
            let (started, key) = (started.clone(), key.clone());
            tokio::spawn(async move {
                started.fetch_add(1, Ordering::Relaxed);
                client.get(&key).await
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(5);
    while started.load(Ordering::Relaxed) < tasks.len() && Instant::now() < deadline {
        tokio::task::yield_now().await;
    }
    // Give the client's own task the moment it needs to write the queued
    // commands (the server is paused, so none can complete meanwhile).
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (heap2, rss2) = (counting_alloc::live_bytes(), resident_bytes());
    for task in tasks {
        assert!(task.await.expect("probe task").is_some());
    }
    let memory = Memory {
        idle_heap: heap1 - heap0,
        idle_rss: rss1 - rss0,
        busy_heap: heap2 - heap0,
        busy_rss: rss2 - rss0,
    };
    println!("{}", memory.to_line());
}

/// Seconds of a cold release build of a minimal program using each client.
pub fn build_times(workspace: &Path) -> Vec<(&'static str, Duration)> {
    let client_dir = workspace.join("client");
    let tokio = r#"tokio = { version = "1", features = ["rt-multi-thread", "macros"] }"#;
    let programs: [(&str, String, &str); 4] = [
        (
            "redtyped",
            format!(
                "redtyped = {{ path = {:?} }}",
                client_dir.display().to_string()
            ),
            r#"let c = redtyped::Client::connect("redis://127.0.0.1:6379").await.unwrap();
    let v: Option<String> = c.get("k").await.unwrap();
    println!("{v:?}");"#,
        ),
        (
            "redis-rs",
            r#"redis = { version = "1.8", features = ["tokio-comp"] }"#.to_string(),
            r#"let c = redis::Client::open("redis://127.0.0.1:6379").unwrap();
    let mut c = c.get_multiplexed_async_connection().await.unwrap();
    let v: Option<String> = redis::AsyncCommands::get(&mut c, "k").await.unwrap();
    println!("{v:?}");"#,
        ),
        (
            "fred",
            r#"fred = "10.1""#.to_string(),
            r#"use fred::prelude::*;
    let c = Builder::from_config(Config::from_url("redis://127.0.0.1:6379").unwrap()).build().unwrap();
    c.init().await.unwrap();
    let v: Option<String> = c.get("k").await.unwrap();
    println!("{v:?}");"#,
        ),
        (
            "rustis",
            r#"rustis = "0.27""#.to_string(),
            r#"use rustis::commands::StringCommands;
    let c = rustis::client::Client::connect("127.0.0.1:6379").await.unwrap();
    let v: Option<String> = c.get("k").await.unwrap();
    println!("{v:?}");"#,
        ),
    ];
    let root = std::env::temp_dir().join(format!("redtyped-build-times-{}", std::process::id()));
    let mut times = Vec::new();
    for (name, dependency, body) in programs {
        let dir = root.join(name);
        std::fs::create_dir_all(dir.join("src")).expect("temp project");
        std::fs::write(
            dir.join("Cargo.toml"),
            format!(
                "[package]\nname = \"minimal\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[workspace]\n\n[dependencies]\n{tokio}\n{dependency}\n"
            ),
        )
        .expect("temp manifest");
        std::fs::write(
            dir.join("src/main.rs"),
            format!("#[tokio::main]\nasync fn main() {{\n    {body}\n}}\n"),
        )
        .expect("temp main");
        // The workspace's lock file pins the same versions the benchmark ran.
        let _ = std::fs::copy(workspace.join("Cargo.lock"), dir.join("Cargo.lock"));
        let fetch = Command::new("cargo")
            .arg("fetch")
            .current_dir(&dir)
            .status()
            .expect("cargo fetch");
        assert!(fetch.success(), "cargo fetch for {name}");
        let start = Instant::now();
        let build = Command::new("cargo")
            .args(["build", "--release", "--quiet"])
            .current_dir(&dir)
            .env("CARGO_TARGET_DIR", dir.join("target"))
            .status()
            .expect("cargo build");
        let elapsed = start.elapsed();
        assert!(build.success(), "the minimal {name} program did not build");
        eprintln!(
            "cold release build with {name}: {:.1} s",
            elapsed.as_secs_f64()
        );
        times.push((name, elapsed));
    }
    let _ = std::fs::remove_dir_all(&root);
    times
}

/// The workspace root, from this crate's manifest directory.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("bench/ has a parent")
        .to_path_buf()
}
