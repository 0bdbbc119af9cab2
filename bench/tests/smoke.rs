//! The benchmark's smoke mode, run by `cargo test --workspace` so the bench
//! binary is built and exercised in CI without a build of its own: every
//! workload, peer and cost probe once with tiny counts, no figures judged.

#[test]
fn the_benchmark_runs_every_workload_in_smoke_mode() {
    // Smoke mode writes its report under the temp dir, never over bench/results.
    let out = std::env::temp_dir().join("redtyped-bench-smoke");
    let _ = std::fs::remove_dir_all(&out);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_redtyped-bench"))
        .arg("--smoke")
        .output()
        .expect("the bench binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "redtyped-bench --smoke failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    // Every client took part, and the report and chart were written.
    for client in ["redtyped", "redis-rs", "fred", "rustis", "redis-benchmark"] {
        assert!(stdout.contains(client), "{client} missing from:\n{stdout}");
    }
    assert!(
        out.join("results.md").exists(),
        "no report in {}",
        out.display()
    );
    assert!(
        out.join("throughput.svg").exists(),
        "no chart in {}",
        out.display()
    );
}
