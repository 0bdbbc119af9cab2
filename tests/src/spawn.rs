//! Spawning child processes that cannot outlive the test process.
//!
//! Every child is started with `PR_SET_PDEATHSIG = SIGKILL`, so the kernel
//! kills it when its parent dies, even if the `Server` owning it is never
//! dropped (a `static` is never dropped; a test binary can also be killed or
//! abort).
//!
//! The catch: for `PR_SET_PDEATHSIG` the "parent" is the *thread* that
//! forked the child, not the process. The signal is sent when that thread
//! exits. The Rust test harness runs each test on its own thread, which ends
//! when the test ends, so a server forked directly from a test thread would
//! be killed as soon as that test returns — including a server stored in a
//! `static` and meant to be shared with later tests. Therefore all children
//! are forked from ONE dedicated helper thread that is started lazily and
//! never exits: it dies only with the process, which is exactly when we want
//! the children killed.

use std::io;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::sync::OnceLock;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread;

struct SpawnRequest {
    command: Command,
    reply: Sender<io::Result<Child>>,
}

/// Sending side of the spawner thread's queue. It lives in a static, so it is
/// never dropped and the spawner's receive loop never ends.
static SPAWNER: OnceLock<Sender<SpawnRequest>> = OnceLock::new();

/// Spawns `command` from the dedicated spawner thread with
/// `PR_SET_PDEATHSIG = SIGKILL`, and returns the child.
pub(crate) fn spawn_tied(command: Command) -> io::Result<Child> {
    let spawner = SPAWNER.get_or_init(start_spawner);
    let (reply, response) = mpsc::channel();
    spawner
        .send(SpawnRequest { command, reply })
        .map_err(|_| io::Error::other("the redtyped-tests spawner thread is gone"))?;
    response.recv().map_err(|_| {
        io::Error::other("the redtyped-tests spawner thread dropped a spawn request")
    })?
}

fn start_spawner() -> Sender<SpawnRequest> {
    let (requests, queue) = mpsc::channel();
    thread::Builder::new()
        .name("redtyped-tests-spawner".into())
        .spawn(move || serve(queue))
        .expect("failed to start the redtyped-tests spawner thread");
    requests
}

fn serve(queue: Receiver<SpawnRequest>) {
    // Never returns in practice: the sender is kept in `SPAWNER` forever.
    for SpawnRequest { mut command, reply } in queue {
        // The requester may have given up (panicked); nothing to do then.
        let _ = reply.send(spawn_with_pdeathsig(&mut command));
    }
}

fn spawn_with_pdeathsig(command: &mut Command) -> io::Result<Child> {
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: the closure runs in the forked child before exec; it only makes
    // async-signal-safe system calls (prctl, getppid) and does not allocate.
    unsafe {
        command.pre_exec(move || {
            let signal = libc::SIGKILL as libc::c_ulong;
            if libc::prctl(
                libc::PR_SET_PDEATHSIG,
                signal,
                0 as libc::c_ulong,
                0 as libc::c_ulong,
                0 as libc::c_ulong,
            ) == -1
            {
                return Err(io::Error::last_os_error());
            }
            // If the parent died between fork and prctl, the signal will never
            // come: the child has already been reparented. Do not exec.
            if libc::getppid() != parent {
                return Err(io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
    command.spawn()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_are_spawned_from_one_long_lived_thread() {
        let spawn_sleep = || {
            let mut command = Command::new("sleep");
            command.arg("30");
            spawn_tied(command).expect("spawn sleep")
        };
        let mut first = spawn_sleep();
        // Spawn from a short-lived thread: the child must survive that
        // thread, which it would not if it were forked there.
        let mut second = thread::spawn(spawn_sleep).join().unwrap();
        // Give PDEATHSIG a chance to (wrongly) fire, then check both live.
        thread::sleep(std::time::Duration::from_millis(50));
        assert!(first.try_wait().unwrap().is_none(), "first child died");
        assert!(
            second.try_wait().unwrap().is_none(),
            "child of a finished thread died"
        );
        for child in [&mut first, &mut second] {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    #[test]
    fn spawn_errors_are_reported() {
        let err = spawn_tied(Command::new("/nonexistent/program")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }
}
