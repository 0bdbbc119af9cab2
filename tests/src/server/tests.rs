//! Tests of [`Server`] against real `redis-server` processes.

use super::*;
use crate::{resp, shared, unique_key, wait_until};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::UnixStream;
use std::sync::OnceLock;

/// Whether process `pid` is gone: no `/proc/<pid>`, or a zombie (killed
/// but not yet reaped by whoever adopted it).
fn process_gone(pid: u32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        // Format: "pid (comm) state ..."; comm may contain spaces/parens.
        Ok(stat) => matches!(
            stat.rsplit_once(')')
                .and_then(|(_, rest)| rest.trim_start().chars().next()),
            Some('Z' | 'X')
        ),
    }
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .unwrap_or_default(),
    }
}

#[test]
fn start_and_talk_raw_resp() {
    let server = Server::start();
    assert_eq!(server.cli(&["PING"]), "+PONG\r\n");
    assert_eq!(server.addr(), format!("127.0.0.1:{}", server.port()));
    assert_eq!(server.url(), format!("redis://127.0.0.1:{}", server.port()));
    assert_eq!(server.unix_path(), None);
    assert!(server.is_running());

    assert_eq!(server.cli(&["GET", "missing"]), "$-1\r\n");
    assert_eq!(server.cli(&["SET", "k", "hello"]), "+OK\r\n");
    assert_eq!(server.cli(&["GET", "k"]), "$5\r\nhello\r\n");
    assert_eq!(server.cli(&["RPUSH", "l", "a", "b"]), ":2\r\n");
    assert_eq!(
        server.cli(&["LRANGE", "l", "0", "-1"]),
        "*2\r\n$1\r\na\r\n$1\r\nb\r\n"
    );
    assert!(
        server
            .cli(&["NOSUCHCOMMAND"])
            .starts_with("-ERR unknown command")
    );

    // The generated config is in force.
    assert_eq!(
        server.cli(&["CONFIG", "GET", "save"]),
        "*2\r\n$4\r\nsave\r\n$0\r\n\r\n"
    );
    assert_eq!(
        server.cli(&["CONFIG", "GET", "appendonly"]),
        "*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n"
    );
    let dir = server.dir().to_string_lossy().into_owned();
    assert_eq!(
        server.cli(&["CONFIG", "GET", "dir"]),
        format!("*2\r\n$3\r\ndir\r\n${}\r\n{dir}\r\n", dir.len())
    );
    assert!(server.dir().join("redis.conf").is_file());
    assert!(
        server.log().contains("Ready to accept connections"),
        "{}",
        server.log()
    );
}

#[test]
fn extra_config_directives_are_applied() {
    let server = Server::builder()
        .config("databases", "4")
        .config("maxmemory", "10mb")
        .start();
    assert_eq!(server.cli(&["SELECT", "3"]), "+OK\r\n");
    assert!(server.cli(&["SELECT", "4"]).starts_with("-ERR"));
    assert_eq!(
        server.cli(&["CONFIG", "GET", "maxmemory"]),
        "*2\r\n$9\r\nmaxmemory\r\n$8\r\n10485760\r\n"
    );
}

#[test]
fn password_server_requires_auth() {
    let server = Server::builder().password("pw").start();
    assert!(
        server.cli(&["PING"]).starts_with("-NOAUTH"),
        "{}",
        server.cli(&["PING"])
    );
    assert_eq!(server.cli_as("default", "pw", &["PING"]), "+PONG\r\n");
    assert!(
        server
            .cli_as("default", "wrong", &["PING"])
            .starts_with("-WRONGPASS")
    );
    assert_eq!(
        server.url(),
        format!("redis://:pw@127.0.0.1:{}", server.port())
    );
}

#[test]
fn awkward_passwords_are_quoted_and_url_encoded() {
    let pass = "s p\"a\\ss@/:#%";
    let server = Server::builder().password(pass).start();
    assert_eq!(server.cli_as("default", pass, &["PING"]), "+PONG\r\n");
    assert_eq!(
        server.url(),
        format!(
            "redis://:s%20p%22a%5Css%40%2F%3A%23%25@127.0.0.1:{}",
            server.port()
        )
    );
}

#[test]
fn acl_users_are_loaded() {
    let server = Server::builder()
        .acl_user("user alice on >secret ~* &* +@all")
        .acl_user("bob on >b ~bob:* +get")
        .start();
    assert_eq!(
        server.cli_as("alice", "secret", &["ACL", "WHOAMI"]),
        "$5\r\nalice\r\n"
    );
    assert!(
        server
            .cli_as("bob", "b", &["SET", "bob:1", "x"])
            .starts_with("-NOPERM")
    );
    assert!(
        server
            .cli_as("alice", "wrong", &["PING"])
            .starts_with("-WRONGPASS")
    );
    // The default user is untouched without a password.
    assert_eq!(server.cli(&["PING"]), "+PONG\r\n");
    assert!(server.dir().join("users.acl").is_file());
}

#[test]
fn acl_users_with_a_password() {
    // requirepass alone would be ignored once an aclfile is used.
    let server = Server::builder()
        .password("pw")
        .acl_user("user alice on >secret ~* &* +@all")
        .start();
    assert!(server.cli(&["PING"]).starts_with("-NOAUTH"));
    assert_eq!(server.cli_as("default", "pw", &["PING"]), "+PONG\r\n");
    assert_eq!(server.cli_as("alice", "secret", &["PING"]), "+PONG\r\n");
}

#[test]
#[should_panic(expected = "cannot be combined with acl_user")]
fn whitespace_password_with_acl_users_is_a_clear_error() {
    Server::builder()
        .password("p w")
        .acl_user("user alice on >a ~* +@all")
        .start();
}

#[test]
fn disabled_default_user_is_still_ready() {
    let server = Server::builder()
        .acl_user("user default off")
        .acl_user("user alice on >secret ~* &* +@all")
        .start();
    assert!(server.cli(&["PING"]).starts_with("-NOAUTH"));
    assert_eq!(server.cli_as("alice", "secret", &["PING"]), "+PONG\r\n");
}

#[test]
fn unix_socket_is_listening() {
    let server = Server::builder().unix_socket().start();
    let path = server.unix_path().expect("unix socket path");
    assert_eq!(path, server.dir().join("redis.sock"));
    let meta = fs::metadata(path).unwrap();
    assert!(meta.file_type().is_socket());
    assert_eq!(meta.permissions().mode() & 0o777, 0o700);
    let mut stream = UnixStream::connect(path).unwrap();
    assert_eq!(resp::request(&mut stream, &["PING"]).unwrap(), b"+PONG\r\n");
    // TCP works too.
    assert_eq!(server.cli(&["PING"]), "+PONG\r\n");
}

#[test]
fn kill_then_restart() {
    let mut server = Server::builder().unix_socket().start();
    let (port, pid) = (server.port(), server.pid());
    assert_eq!(server.cli(&["SET", "k", "v"]), "+OK\r\n");

    server.kill();
    assert!(!server.is_running());
    assert!(process_gone(pid));
    assert!(
        TcpStream::connect(server.addr()).is_err(),
        "port still accepts after kill"
    );
    server.kill(); // idempotent

    server.restart();
    assert!(server.is_running());
    assert_eq!(server.port(), port);
    assert_ne!(server.pid(), pid);
    assert_eq!(server.cli(&["PING"]), "+PONG\r\n");
    assert_eq!(
        server.cli(&["GET", "k"]),
        "$-1\r\n",
        "no persistence across restarts"
    );
    let mut stream = UnixStream::connect(server.unix_path().unwrap()).unwrap();
    assert_eq!(resp::request(&mut stream, &["PING"]).unwrap(), b"+PONG\r\n");

    // restart() also works on a running server.
    let pid = server.pid();
    server.restart();
    assert_ne!(server.pid(), pid);
    assert!(process_gone(pid));
    assert_eq!(server.cli(&["PING"]), "+PONG\r\n");
}

#[test]
fn kill_then_restart_with_password() {
    let mut server = Server::builder().password("pw").start();
    server.kill();
    server.restart();
    assert_eq!(server.cli_as("default", "pw", &["PING"]), "+PONG\r\n");
}

#[test]
fn taken_port_is_detected_and_restart_retries() {
    let mut server = Server::start();
    server.kill();
    let blocker = TcpListener::bind(server.addr()).unwrap();
    let failure = server
        .launch()
        .expect_err("launch on a taken port must fail");
    assert!(failure.addr_in_use, "{}", failure.report);
    drop(blocker);
    server.restart();
    assert_eq!(server.cli(&["PING"]), "+PONG\r\n");
}

#[test]
fn dropping_a_server_kills_it_and_removes_its_dir() {
    let server = Server::start();
    let (pid, dir) = (server.pid(), server.dir().to_owned());
    assert!(!process_gone(pid));
    drop(server);
    wait_until(
        Duration::from_secs(5),
        "the dropped server's process to be gone",
        || process_gone(pid),
    );
    // SAFETY: signal 0 only checks whether the pid exists.
    let alive = unsafe { libc::kill(pid as libc::pid_t, 0) } == 0;
    assert!(!alive, "pid {pid} still exists after drop");
    assert!(!dir.exists());
}

#[test]
fn server_started_on_a_finished_thread_survives() {
    // Each test runs on its own thread; a server forked from such a
    // thread with PDEATHSIG would die with it. The spawner thread
    // prevents that.
    let server = std::thread::spawn(Server::start).join().unwrap();
    let pid = server.pid();
    // Without the spawner the kill would be immediate; give it a moment.
    std::thread::sleep(Duration::from_millis(50));
    assert!(!process_gone(pid));
    assert_eq!(server.cli(&["PING"]), "+PONG\r\n");
}

#[test]
fn startup_failure_reports_log_and_exit_status() {
    let payload = std::panic::catch_unwind(|| {
        Server::builder()
            .config("unixsocket", "/nonexistent-dir/redis.sock")
            .start()
    })
    .expect_err("start must panic");
    let message = panic_message(payload);
    assert!(message.contains("exited during startup"), "{message}");
    assert!(message.contains("status: exit status: 1"), "{message}");
    assert!(message.contains("--- redis.log (full) ---"), "{message}");
    assert!(message.contains("Failed opening Unix socket"), "{message}");
}

#[test]
fn config_errors_are_reported_from_stderr() {
    let payload =
        std::panic::catch_unwind(|| Server::builder().config("bogus-directive", "1").start())
            .expect_err("start must panic");
    let message = panic_message(payload);
    assert!(message.contains("status: exit status: 1"), "{message}");
    assert!(
        message.contains("Bad directive or wrong number of arguments"),
        "{message}"
    );
}

#[test]
fn urls_are_percent_encoded() {
    assert_eq!(percent_encode_userinfo("aZ9-._~ :@"), "aZ9-._~%20%3A%40");
}

const LEAK_ENV: &str = "REDTYPED_TESTS_LEAK_SERVERS";

/// Run only as a subprocess by `servers_die_with_the_test_process`: leaks a
/// server in a static and starts the shared one, then lets the test binary
/// exit without dropping either.
#[test]
#[ignore = "helper run as a subprocess by servers_die_with_the_test_process"]
fn leak_servers_then_exit() {
    if std::env::var_os(LEAK_ENV).is_none() {
        return;
    }
    static LEAKED: OnceLock<Server> = OnceLock::new();
    let leaked = LEAKED.get_or_init(Server::start);
    let shared = shared();
    println!("LEAKED {} {}", leaked.pid(), leaked.dir().display());
    println!("SHARED {} {}", shared.pid(), shared.dir().display());
}

#[test]
fn servers_die_with_the_test_process() {
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "server::tests::leak_servers_then_exit",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(LEAK_ENV, "1")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let find = |tag: &str| {
        let line = stdout
            .lines()
            .find_map(|l| l.split_once(tag).map(|(_, rest)| rest))
            .unwrap_or_else(|| panic!("no {tag} line in:\n{stdout}"));
        let (pid, dir) = line.trim().split_once(' ').unwrap();
        (pid.parse::<u32>().unwrap(), PathBuf::from(dir))
    };
    let (leaked_pid, leaked_dir) = find("LEAKED ");
    let (shared_pid, shared_dir) = find("SHARED ");

    // PDEATHSIG: the kernel kills a server nobody dropped.
    wait_until(
        Duration::from_secs(5),
        "the leaked server to die with its process",
        || process_gone(leaked_pid),
    );
    // atexit: the shared server is killed and its dir removed at exit.
    wait_until(Duration::from_secs(5), "the shared server to die", || {
        process_gone(shared_pid)
    });
    assert!(
        !shared_dir.exists(),
        "shared server dir {} left behind",
        shared_dir.display()
    );
    // The leaked server's dir is expected to stay: clean it up.
    assert!(leaked_dir.exists());
    fs::remove_dir_all(leaked_dir).unwrap();
}

#[test]
fn unique_keys_keep_tests_apart_on_the_shared_server() {
    let server = shared();
    let (a, b) = (unique_key("t"), unique_key("t"));
    assert_eq!(server.cli(&["SET", &a, "1"]), "+OK\r\n");
    assert_eq!(server.cli(&["GET", &b]), "$-1\r\n");
    assert_eq!(server.cli(&["DEL", &a]), ":1\r\n");
}
