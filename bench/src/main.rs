//! `redtyped-bench`: the same workloads through redtyped, redis-rs, fred and
//! rustis, alternating clients round by round against one `redis-server`, with
//! `redis-benchmark` on the same server as the reference for what the server
//! can do; then what each client costs (allocations, memory, build time).
//!
//! ```text
//! cargo run -p redtyped-bench --release --                  # full run, results in bench/results/
//! cargo run -p redtyped-bench --release -- --build-times    # also time cold builds (minutes)
//! cargo run -p redtyped-bench -- --smoke                    # seconds: every path once, no figures kept
//! ```
//!
//! Options: `--rounds N` (default 5), `--scale D` (divide every workload's
//! commands by D), `--only TEXT` (workloads whose name contains TEXT),
//! `--clients a,b` (only these contenders, e.g. `redtyped,redis-benchmark`;
//! the cost figures still cover every client), `--no-cost` (throughput only,
//! for profiling),
//! `--url redis://host:port` (an existing server instead of starting one),
//! `--out DIR` (default `bench/results`).

mod chart;
mod cost;
mod counting_alloc;
mod peers;
mod reference;
mod report;
mod workload;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use peers::{Fred, Peer, RedisRs, Redtyped, Rustis};
use report::{Row, WorkloadResult};
use workload::{Kind, Workload};

#[global_allocator]
static ALLOCATOR: counting_alloc::CountingAlloc = counting_alloc::CountingAlloc;

const CLIENTS: [&str; 4] = [Redtyped::NAME, RedisRs::NAME, Fred::NAME, Rustis::NAME];
const REFERENCE: &str = "redis-benchmark";

struct Options {
    smoke: bool,
    rounds: usize,
    scale: usize,
    only: Option<String>,
    clients: Option<Vec<String>>,
    url: Option<String>,
    out: PathBuf,
    build_times: bool,
    no_cost: bool,
    memory_probe: Option<String>,
}

fn usage(problem: &str) -> ! {
    eprintln!(
        "{problem}\nusage: redtyped-bench [--smoke] [--rounds N] [--scale D] [--only TEXT] [--clients a,b] [--url URL] [--out DIR] [--build-times] [--no-cost]"
    );
    std::process::exit(2)
}

fn options() -> Options {
    let mut options = Options {
        smoke: false,
        rounds: 5,
        scale: 1,
        only: None,
        clients: None,
        url: None,
        out: cost::workspace_root().join("bench/results"),
        build_times: false,
        no_cost: false,
        memory_probe: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .unwrap_or_else(|| usage(&format!("{arg} needs a value")))
        };
        let number = |v: String| {
            v.parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .unwrap_or_else(|| usage(&format!("not a positive number: {v}")))
        };
        match arg.as_str() {
            "--smoke" => options.smoke = true,
            "--rounds" => options.rounds = number(value()),
            "--scale" => options.scale = number(value()),
            "--only" => options.only = Some(value()),
            "--clients" => options.clients = Some(value().split(',').map(str::to_string).collect()),
            "--url" => options.url = Some(value()),
            "--out" => options.out = PathBuf::from(value()),
            "--build-times" => options.build_times = true,
            "--no-cost" => options.no_cost = true,
            "--memory-probe" => options.memory_probe = Some(value()),
            "-h" | "--help" => usage("redtyped-bench: redtyped against its peers"),
            other => usage(&format!("unknown argument {other}")),
        }
    }
    if options.smoke {
        options.rounds = 1;
        options.scale = options.scale.max(200);
        options.out = std::env::temp_dir().join("redtyped-bench-smoke");
    }
    options
}

fn main() {
    let options = options();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    if let Some(peer) = &options.memory_probe {
        let url = options
            .url
            .clone()
            .unwrap_or_else(|| usage("--memory-probe needs --url"));
        runtime.block_on(async {
            match peer.as_str() {
                "redtyped" => cost::memory_probe::<Redtyped>(&url).await,
                "redis-rs" => cost::memory_probe::<RedisRs>(&url).await,
                "fred" => cost::memory_probe::<Fred>(&url).await,
                "rustis" => cost::memory_probe::<Rustis>(&url).await,
                other => usage(&format!("no client named {other}")),
            }
        });
        return;
    }
    // Kept alive (and killed on drop) for the whole run.
    let server = options.url.is_none().then(redtyped_tests::Server::start);
    let url = match (&options.url, &server) {
        (Some(url), _) => url.clone(),
        (None, Some(server)) => server.url(),
        (None, None) => unreachable!("a server is started when no --url is given"),
    };
    runtime.block_on(run(&options, &url));
}

/// All four clients, connected once and shared by every round.
struct Clients {
    redtyped: Redtyped,
    redis_rs: RedisRs,
    fred: Fred,
    rustis: Rustis,
}

impl Clients {
    async fn connect(url: &str) -> Clients {
        Clients {
            redtyped: Redtyped::connect(url).await,
            redis_rs: RedisRs::connect(url).await,
            fred: Fred::connect(url).await,
            rustis: Rustis::connect(url).await,
        }
    }

    /// Runs one round in a task of its own, as a request handler in a server
    /// would run (the main task of `block_on` lives outside the runtime's
    /// worker threads, so every reply would cost it a cross-thread wake-up).
    async fn run(&self, client: &str, workload: &Workload, tag: &str) -> workload::Sample {
        async fn spawned<P: Peer>(client: &P, workload: &Workload, tag: &str) -> workload::Sample {
            let (client, workload, tag) = (client.clone(), workload.clone(), tag.to_string());
            tokio::spawn(async move { workload::run(&client, &workload, &tag).await })
                .await
                .expect("a benchmark round panicked")
        }
        match client {
            Redtyped::NAME => spawned(&self.redtyped, workload, tag).await,
            RedisRs::NAME => spawned(&self.redis_rs, workload, tag).await,
            Fred::NAME => spawned(&self.fred, workload, tag).await,
            _ => spawned(&self.rustis, workload, tag).await,
        }
    }
}

fn target_of(url: &str) -> reference::Target {
    let rest = url
        .strip_prefix("redis://")
        .unwrap_or_else(|| usage("--url must be redis://[:password@]host[:port]"));
    let rest = rest.split('/').next().unwrap_or(rest);
    let (password, hostport) = match rest.rsplit_once('@') {
        Some((userinfo, hostport)) => (
            Some(userinfo.rsplit(':').next().unwrap_or(userinfo).to_string()),
            hostport,
        ),
        None => (None, rest),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((host, port)) => (host, port.parse().unwrap_or(6379)),
        None => (hostport, 6379),
    };
    reference::Target {
        host: host.to_string(),
        port,
        password: password.filter(|p| !p.is_empty()),
    }
}

fn latency_unit(kind: Kind) -> &'static str {
    match kind {
        Kind::Sequential { .. } | Kind::Concurrent { .. } => "command",
        Kind::Pipeline { .. } => "pipeline",
        Kind::Transaction { .. } => "transaction",
    }
}

async fn run(options: &Options, url: &str) {
    let load_before = load_average();
    let admin = redtyped::Client::connect(url).await.expect("connect");
    for len in [100, 16 * 1024] {
        admin
            .set(workload::value_key(len), workload::value(len))
            .await
            .expect("SET the values every GET reads");
    }
    let clients = Clients::connect(url).await;
    let target = target_of(url);
    let workloads: Vec<Workload> = Workload::all()
        .into_iter()
        .filter(|w| {
            options
                .only
                .as_ref()
                .is_none_or(|only| w.name.contains(only.as_str()))
        })
        .map(|w| w.scaled_down(options.scale))
        .collect();

    let mut results = Vec::new();
    for (index, workload) in workloads.iter().enumerate() {
        eprintln!(
            "== {} ({} commands a round)",
            workload.name, workload.commands
        );
        let reference_args = reference::arguments(workload);
        let mut contenders: Vec<&'static str> = CLIENTS.to_vec();
        let chosen = |name: &str| {
            options
                .clients
                .as_ref()
                .is_none_or(|c| c.iter().any(|c| c == name))
        };
        contenders.retain(|c| chosen(c));
        if reference_args.is_some() && chosen(REFERENCE) {
            contenders.push(REFERENCE);
        }
        let mut rows: Vec<Row> = contenders
            .iter()
            .map(|&contender| Row {
                contender,
                rounds: Vec::new(),
                latencies: Vec::new(),
                cpu_per_command: Vec::new(),
                is_reference: contender == REFERENCE,
            })
            .collect();
        let (mut p50s, mut p99s) = (Vec::new(), Vec::new());
        for round in 0..options.rounds {
            // Each round starts with a different contender, so none always goes first.
            for k in 0..contenders.len() {
                let i = (round + k) % contenders.len();
                let contender = contenders[i];
                if contender == REFERENCE {
                    let (target, args) =
                        (target.clone(), reference_args.clone().unwrap_or_default());
                    let measured =
                        tokio::task::spawn_blocking(move || reference::run(&target, &args))
                            .await
                            .expect("redis-benchmark runner");
                    rows[i].rounds.push(measured.ops_per_sec);
                    p50s.push(measured.p50.as_secs_f64());
                    p99s.push(measured.p99.as_secs_f64());
                } else {
                    let tag = format!("{contender}:{index}:{round}");
                    let cpu = cpu_time();
                    let sample = clients.run(contender, workload, &tag).await;
                    rows[i]
                        .cpu_per_command
                        .push((cpu_time() - cpu).as_secs_f64() / sample.commands as f64);
                    rows[i].rounds.push(sample.ops_per_sec());
                    rows[i].latencies.extend(sample.latencies);
                }
                eprintln!(
                    "   round {} {contender}: {:.0} ops/s",
                    round + 1,
                    rows[i].rounds.last().copied().unwrap_or_default()
                );
            }
        }
        if let Some(reference) = rows.iter_mut().find(|r| r.is_reference) {
            reference.latencies = vec![
                Duration::from_secs_f64(report::median(&p50s)),
                Duration::from_secs_f64(report::median(&p99s)),
            ];
        }
        results.push(WorkloadResult {
            name: workload.name,
            latency_unit: latency_unit(workload.kind),
            rows,
        });
    }

    eprintln!("== cost: allocations per command, memory");
    let alloc_commands = if options.smoke { 200 } else { 20_000 };
    let costs = if options.no_cost {
        Vec::new()
    } else {
        vec![
            (
                Redtyped::NAME,
                cost::allocations::<Redtyped>(url, alloc_commands).await,
                cost::memory(Redtyped::NAME, url),
            ),
            (
                RedisRs::NAME,
                cost::allocations::<RedisRs>(url, alloc_commands).await,
                cost::memory(RedisRs::NAME, url),
            ),
            (
                Fred::NAME,
                cost::allocations::<Fred>(url, alloc_commands).await,
                cost::memory(Fred::NAME, url),
            ),
            (
                Rustis::NAME,
                cost::allocations::<Rustis>(url, alloc_commands).await,
                cost::memory(Rustis::NAME, url),
            ),
        ]
    };
    let builds = if options.build_times {
        eprintln!("== cost: cold release builds (minutes)");
        tokio::task::spawn_blocking(|| cost::build_times(&cost::workspace_root()))
            .await
            .expect("build timer")
    } else {
        Vec::new()
    };
    let load_after = load_average();

    let server_version: String = admin
        .send(redtyped::Raw::new("INFO").arg("server"))
        .await
        .map(|info: String| {
            info.lines()
                .find_map(|l| l.strip_prefix("redis_version:"))
                .unwrap_or("?")
                .trim()
                .to_string()
        })
        .unwrap_or_else(|_| "?".into());
    let machine = machine(&server_version, &load_before, &load_after);
    let command = format!(
        "cargo run -p redtyped-bench --release --{}",
        std::env::args()
            .skip(1)
            .map(|a| format!(" {a}"))
            .collect::<String>()
    );
    let throughput = report::throughput_table(&results);
    let cost = report::cost_table(&costs, &builds);
    let targets = targets(&results, &costs);

    let mut markdown = String::new();
    if options.smoke {
        markdown.push_str(
            "Smoke run: every path once with tiny counts (often a debug build); these figures are not measurements.\n\n",
        );
    }
    let _ = writeln!(markdown, "Command: `{command}`\n");
    let _ = writeln!(markdown, "Machine: {machine}\n");
    let _ = writeln!(
        markdown,
        "{} round(s), contenders alternating round by round; ops/s is the median over rounds, p50/p99 over every request of every round.\n",
        options.rounds
    );
    markdown.push_str(&throughput);
    markdown.push_str("\nCost (allocations counted on every thread over warm sequential commands; memory measured in a fresh process per client):\n\n");
    markdown.push_str(&cost);
    markdown.push_str("\nTargets:\n\n");
    markdown.push_str(&targets);
    println!("{markdown}");

    std::fs::create_dir_all(&options.out).expect("the output directory");
    let table_path = options.out.join("results.md");
    std::fs::write(&table_path, &markdown).expect("write the results table");
    let chart_path = options.out.join("throughput.svg");
    chart::write(&chart_path, &results, &machine).expect("write the chart");
    eprintln!(
        "wrote {} and {}",
        table_path.display(),
        chart_path.display()
    );
}

/// The issue's targets, each as measured in this run.
fn targets(
    results: &[WorkloadResult],
    costs: &[(&str, cost::Allocations, cost::Memory)],
) -> String {
    let mut out = String::new();
    let find = |name: &str| results.iter().find(|r| r.name == name);
    let mut line = |what: &str, value: Option<f64>, goal: f64| {
        let (value, verdict) = match value {
            Some(v) => (format!("{v:.2}"), if v >= goal { "met" } else { "missed" }),
            None => ("not run".into(), "–"),
        };
        let _ = writeln!(out, "- {what}: {value} (target ≥ {goal}): {verdict}");
    };
    let ratios = |name: &str| find(name).map(|r| r.ratios(Redtyped::NAME));
    line(
        "sequential GET vs redis-benchmark -c 1 -P 1",
        ratios("GET 100 B, 1 task").and_then(|r| r.1),
        1.0,
    );
    line(
        "GET, 64 tasks vs the best peer",
        ratios("GET, 64 tasks").and_then(|r| r.0),
        1.5,
    );
    line(
        "GET/SET/INCR, 64 tasks vs the best peer",
        ratios("GET/SET/INCR, 64 tasks").and_then(|r| r.0),
        1.5,
    );
    line(
        "pipeline of 100 vs redis-benchmark -c 1 -P 100",
        ratios("pipeline of 100 GET").and_then(|r| r.1),
        0.8,
    );
    line(
        "pipeline of 100 vs the best peer",
        ratios("pipeline of 100 GET").and_then(|r| r.0),
        1.5,
    );
    if let Some((_, allocations, _)) = costs.iter().find(|(n, ..)| *n == Redtyped::NAME) {
        // Judged at the two decimals shown: a handful of allocations over the
        // whole stretch (a timer wheel growing) are not per command.
        let verdict = if (allocations.per_get * 100.0).round() <= 200.0 {
            "met"
        } else {
            "missed"
        };
        let _ = writeln!(
            out,
            "- allocations per GET: {:.2} (target ≤ 2): {verdict}",
            allocations.per_get
        );
    }
    out
}

/// CPU time this process used so far, on every thread: while one client's
/// round runs, that is the client's own cost (and the runtime's), which the
/// other programs sharing the cores cannot blur the way they blur wall time.
fn cpu_time() -> Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a whole `rusage` into the pointer it is given.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        usage.assume_init()
    };
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    time(usage.ru_utime) + time(usage.ru_stime)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn machine(server_version: &str, load_before: &str, load_after: &str) -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|m| m.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!(
        "{cpu}, {cores} cores shared by server and clients; redis-server {server_version}; load average {load_before} before, {load_after} after"
    )
}
