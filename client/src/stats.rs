//! Counters a user can read from a client.

/// What a client's connection has done so far (see [`Client::stats`](crate::Client::stats)).
///
/// ```no_run
/// # async fn demo(client: redtyped::Client) -> redtyped::Result<()> {
/// client.incr("n").await?;
/// let stats = client.stats();
/// assert!(stats.commands_sent >= 1 && stats.in_flight == 0);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Stats {
    /// Commands queued for sending (a pipeline counts each command; a transaction also its MULTI and EXEC).
    pub commands_sent: u64,
    /// Replies read (push frames not included).
    pub replies_received: u64,
    /// RESP3 push frames read (pub/sub messages, invalidations).
    pub push_frames: u64,
    /// Read-only commands sent again after their connection was lost before
    /// the reply (each at most once; writes never are).
    pub retried: u64,
    /// Times the connection was re-established after being lost.
    pub reconnects: u64,
    /// Commands sent whose reply has not arrived (nor failed) yet.
    pub in_flight: u64,
}
