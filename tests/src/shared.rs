//! One server per test binary.

use std::sync::OnceLock;

use crate::Server;

static SHARED: OnceLock<Server> = OnceLock::new();

/// The server shared by all tests of this test binary, started on first use.
///
/// Use it for tests that only read and write their own keys (name them with
/// [`unique_key`](crate::unique_key)); it saves starting a server per test.
///
/// Tests that kill, pause (`DEBUG SLEEP`, `CLIENT PAUSE`), restart,
/// reconfigure (`CONFIG SET`, ACL changes), flush (`FLUSHALL`/`FLUSHDB`) or
/// otherwise affect the whole server, or that count server-wide state (key
/// counts, client lists, `INFO`), must start their own [`Server`] instead.
///
/// A `static` is never dropped, so this server is stopped in two other ways:
/// an `atexit` hook kills it and removes its temp dir when the test binary
/// exits normally, and the kernel kills it (`PR_SET_PDEATHSIG`) if the
/// process dies any other way (the temp dir then stays behind).
///
/// # Example
///
/// ```no_run
/// use redtyped_tests::{shared, unique_key};
///
/// let server = shared();
/// let key = unique_key("greeting");
/// assert_eq!(server.cli(&["SET", &key, "hello"]), "+OK\r\n");
/// assert_eq!(server.cli(&["GET", &key]), "$5\r\nhello\r\n");
/// ```
#[track_caller]
pub fn shared() -> &'static Server {
    SHARED.get_or_init(|| {
        let server = Server::start();
        // SAFETY: registering a plain `extern "C" fn` with no preconditions.
        // If registration fails, PDEATHSIG still kills the server.
        unsafe {
            libc::atexit(stop_shared_at_exit);
        }
        server
    })
}

/// Runs at normal process exit: kill the shared server and remove its dir.
/// Must not panic (it is called from C, across `exit`).
extern "C" fn stop_shared_at_exit() {
    if let Some(server) = SHARED.get() {
        if let Ok(pid) = libc::pid_t::try_from(server.pid()) {
            // SAFETY: sending a signal to our own child, which has not been
            // waited for, so its pid cannot have been reused.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
        let _ = std::fs::remove_dir_all(server.dir());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unique_key;

    #[test]
    fn shared_returns_the_same_running_server() {
        let first = shared();
        let second = std::thread::spawn(shared).join().unwrap();
        assert!(std::ptr::eq(first, second));
        assert_eq!(first.pid(), second.pid());
        assert_eq!(second.cli(&["PING"]), "+PONG\r\n");
        let key = unique_key("shared");
        assert_eq!(first.cli(&["SET", &key, "v"]), "+OK\r\n");
        assert_eq!(second.cli(&["GET", &key]), "$1\r\nv\r\n");
        assert_eq!(first.cli(&["DEL", &key]), ":1\r\n");
    }
}
