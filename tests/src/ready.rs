//! Deciding that a freshly spawned server is ready, and is ours.

use std::fs;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use crate::resp::Connection;

/// Timeout of one readiness probe (connect, and each read/write).
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// What redis-server logs once it listens and serves.
const READY_LOG_LINE: &str = "Ready to accept connections";

/// One readiness check of a freshly spawned server.
pub(crate) struct Probe<'a> {
    pub(crate) port: u16,
    pub(crate) password: Option<&'a str>,
    pub(crate) unix_path: Option<&'a Path>,
    /// The process that must be the one answering.
    pub(crate) pid: u32,
    /// The log file, and its length before this process started.
    pub(crate) log: &'a Path,
    pub(crate) log_offset: u64,
}

impl Probe<'_> {
    /// `AUTH` (if a password is set), then `PING`, then a check that the
    /// answering server is our process: while ours is still failing to bind
    /// a taken port, another server may be answering on it.
    ///
    /// `-NOAUTH` also counts as an answer when the harness has no password
    /// to send (the default user was disabled by ACL lines).
    pub(crate) fn run(&self) -> Result<(), String> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let mut conn =
            Connection::tcp(addr, PROBE_TIMEOUT).map_err(|e| format!("connect to {addr}: {e}"))?;
        let mut request = |args: &[&str]| {
            conn.request(args)
                .map(|reply| String::from_utf8_lossy(&reply).into_owned())
                .map_err(|e| format!("{}: {e}", args[0]))
        };
        if let Some(pass) = self.password {
            let reply = request(&["AUTH", pass])?;
            if reply != "+OK\r\n" {
                return Err(format!("AUTH replied {reply:?}"));
            }
        }
        let reply = request(&["PING"])?;
        let identified = if reply == "+PONG\r\n" {
            let info = request(&["INFO", "server"])?;
            let pid = info
                .lines()
                .find_map(|line| line.strip_prefix("process_id:"))
                .and_then(|pid| pid.trim().parse::<u32>().ok());
            match pid {
                Some(pid) if pid == self.pid => true,
                Some(pid) => {
                    return Err(format!(
                        "port {} is served by another process (pid {pid}), not ours",
                        self.port
                    ));
                }
                // INFO not allowed for this user: fall back to the log.
                None => false,
            }
        } else if self.password.is_none() && reply.starts_with("-NOAUTH") {
            false
        } else {
            return Err(format!("PING replied {reply:?}"));
        };
        if !identified && !log_since(self.log, self.log_offset).contains(READY_LOG_LINE) {
            return Err(format!(
                "the server answered {reply:?}, but our log does not say {READY_LOG_LINE:?} yet"
            ));
        }
        if let Some(path) = self.unix_path {
            if !path.exists() {
                return Err(format!("unix socket {} does not exist", path.display()));
            }
        }
        Ok(())
    }
}

/// The part of the file at `path` after its first `offset` bytes.
pub(crate) fn log_since(path: &Path, offset: u64) -> String {
    fs::read(path)
        .map(|log| {
            let new = log
                .get(usize::try_from(offset).unwrap_or(usize::MAX)..)
                .unwrap_or(&[]);
            String::from_utf8_lossy(new).into_owned()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Server;
    use crate::builder::LOG_FILE;

    #[test]
    fn probe_checks_which_process_answers() {
        let server = Server::start();
        let log = server.dir().join(LOG_FILE);
        let mut probe = Probe {
            port: server.port(),
            password: None,
            unix_path: None,
            pid: server.pid(),
            log: &log,
            log_offset: 0,
        };
        assert_eq!(probe.run(), Ok(()));
        probe.pid = server.pid() + 1;
        let err = probe.run().unwrap_err();
        assert!(err.contains("served by another process"), "{err}");

        // Without INFO (default user disabled), our own log decides.
        let server = Server::builder().acl_user("user default off").start();
        let log = server.dir().join(LOG_FILE);
        let len = fs::metadata(&log).unwrap().len();
        let mut probe = Probe {
            port: server.port(),
            password: None,
            unix_path: None,
            pid: server.pid() + 1,
            log: &log,
            log_offset: 0,
        };
        assert_eq!(probe.run(), Ok(()));
        probe.log_offset = len;
        let err = probe.run().unwrap_err();
        assert!(err.contains("our log does not say"), "{err}");
    }
}
