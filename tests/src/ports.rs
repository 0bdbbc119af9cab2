//! Picking free loopback ports.
//!
//! Ports of live [`Server`](crate::Server)s are reserved process-wide, so a
//! port stays with its server while the server is killed (between
//! [`kill`](crate::Server::kill) and [`restart`](crate::Server::restart)):
//! no other test in this process is handed it in the meantime.

use std::collections::BTreeSet;
use std::net::{Ipv4Addr, TcpListener};
use std::sync::{Mutex, MutexGuard};

/// How many times to ask the kernel for a port that is not reserved.
const ATTEMPTS: usize = 1000;

static RESERVED: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());

fn reserved() -> MutexGuard<'static, BTreeSet<u16>> {
    // A panic while holding the lock cannot leave the set inconsistent.
    RESERVED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Asks the kernel for a free port on 127.0.0.1 (bind port 0, read the port,
/// drop the listener).
#[track_caller]
fn kernel_free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap_or_else(|e| panic!("cannot bind 127.0.0.1:0 to pick a free port: {e}"));
    listener
        .local_addr()
        .unwrap_or_else(|e| panic!("cannot read the address of a 127.0.0.1:0 listener: {e}"))
        .port()
}

/// Returns a TCP port on `127.0.0.1` that was free a moment ago and is not
/// reserved by a [`Server`](crate::Server) of this process.
///
/// Binds `127.0.0.1:0`, reads the port the kernel picked, and drops the
/// listener. Another process may take the port before you bind it, so
/// callers that start a server on it must be ready to retry with a new port
/// ([`Server`](crate::Server) does). Also handy for a port where nothing
/// listens (connection-refused tests) or for an extra listener such as
/// `tls-port`.
///
/// # Example
///
/// ```
/// let port = redtyped_tests::free_port();
/// assert_ne!(port, 0);
/// ```
#[track_caller]
pub fn free_port() -> u16 {
    let reserved = reserved();
    for _ in 0..ATTEMPTS {
        let port = kernel_free_port();
        if !reserved.contains(&port) {
            return port;
        }
    }
    panic!(
        "the kernel kept returning reserved ports ({} reserved)",
        reserved.len()
    )
}

/// A free port reserved for one server until dropped.
#[derive(Debug)]
pub(crate) struct PortReservation {
    port: u16,
}

impl PortReservation {
    /// Picks a free port (as [`free_port`]) and reserves it.
    #[track_caller]
    pub(crate) fn new() -> Self {
        // Hold the lock from the pick to the insert, so two threads cannot
        // reserve the same port.
        let mut reserved = reserved();
        for _ in 0..ATTEMPTS {
            let port = kernel_free_port();
            if reserved.insert(port) {
                return PortReservation { port };
            }
        }
        panic!(
            "the kernel kept returning reserved ports ({} reserved)",
            reserved.len()
        )
    }

    pub(crate) fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for PortReservation {
    fn drop(&mut self) {
        reserved().remove(&self.port);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_port_can_be_bound_again() {
        let port = free_port();
        assert_ne!(port, 0);
        TcpListener::bind((Ipv4Addr::LOCALHOST, port))
            .expect("port returned by free_port is bindable");
    }

    #[test]
    fn reserved_ports_are_not_handed_out_until_released() {
        let reservations: Vec<_> = (0..50).map(|_| PortReservation::new()).collect();
        let ports: BTreeSet<u16> = reservations.iter().map(PortReservation::port).collect();
        assert_eq!(ports.len(), reservations.len(), "a port was reserved twice");
        for _ in 0..200 {
            assert!(!ports.contains(&free_port()));
        }
        let first = reservations[0].port();
        drop(reservations);
        assert!(!reserved().contains(&first));
    }
}
