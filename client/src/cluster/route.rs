//! Sending one command through a cluster: where to (by its keys and tips),
//! following redirections, and splitting and merging when it spans shards.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};

use super::keys::{key_positions, words};
use super::merge::{self, is_error};
use super::slot::slot;
use super::{Inner, topology::NodeAddr};
use crate::command::{CommandFlags, CommandMeta, Placement};
use crate::error::{Error, ErrorKind, Outcome, Result};
use crate::routing::{FindKeys, RequestPolicy, ResponsePolicy};

/// Routes one encoded command and returns its (merged) reply frame.
pub(crate) async fn run(
    inner: Arc<Inner>,
    bytes: Bytes,
    meta: &'static CommandMeta,
    placement: Placement,
) -> Result<Bytes> {
    let ranges = words(&bytes)
        .ok_or_else(|| Error::new(ErrorKind::Usage, Outcome::NotSent, "not one whole command"))?;
    let argv: Vec<&[u8]> = ranges.iter().map(|r| &bytes[r.clone()]).collect();
    let keys = key_positions(meta.key_specs, &argv);
    let mut slots: Vec<u16> = keys.iter().map(|&i| slot(argv[i])).collect();
    slots.sort_unstable();
    slots.dedup();
    let readonly = meta.flags.contains(CommandFlags::READONLY);
    match meta.request_policy {
        RequestPolicy::AllShards | RequestPolicy::AllNodes => {
            let map = inner.map();
            let targets: Vec<NodeAddr> = if meta.request_policy == RequestPolicy::AllShards {
                map.shards().map(|s| s.master.clone()).collect()
            } else {
                map.nodes()
            };
            let sends = targets
                .into_iter()
                .map(|addr| send(&inner, bytes.clone(), None, Some(addr), false, placement))
                .collect();
            let frames = join_all(sends).await?;
            merge::fan_in(meta.response_policy, frames)
        }
        RequestPolicy::MultiShard if slots.len() > 1 => {
            split(&inner, &argv, &keys, meta, placement).await
        }
        _ if slots.len() > 1 => Err(Error::new(
            ErrorKind::CrossSlot,
            Outcome::NotSent,
            format!(
                "its keys are in {} different hash slots, and a cluster runs a command only \
                 on keys of one slot (give related keys the same {{hash tag}})",
                slots.len()
            ),
        )),
        _ => {
            send(
                &inner,
                bytes,
                slots.first().copied(),
                None,
                readonly,
                placement,
            )
            .await
        }
    }
}

/// MGET, MSET, DEL… with keys in several slots: one command per slot, sent
/// concurrently, replies merged (arrays back in the order of the keys).
async fn split(
    inner: &Arc<Inner>,
    argv: &[&[u8]],
    keys: &[usize],
    meta: &'static CommandMeta,
    placement: Placement,
) -> Result<Bytes> {
    // Each key takes the words up to the next key (MSET's value rides along).
    let step = match meta.key_specs.first().map(|k| k.find) {
        Some(FindKeys::Range { key_step, .. }) if key_step > 0 => key_step as usize,
        _ => 1,
    };
    let head = &argv[..keys[0]];
    let mut groups: BTreeMap<u16, Vec<usize>> = BTreeMap::new();
    for (n, &k) in keys.iter().enumerate() {
        groups.entry(slot(argv[k])).or_default().push(n);
    }
    let mut order = Vec::with_capacity(groups.len());
    let mut sends = Vec::with_capacity(groups.len());
    for (slot, members) in groups {
        let mut command: Vec<&[u8]> = head.to_vec();
        for &n in &members {
            let at = keys[n];
            command.extend_from_slice(&argv[at..(at + step).min(argv.len())]);
        }
        sends.push(send(
            inner,
            encode(&command),
            Some(slot),
            None,
            false,
            placement,
        ));
        order.push(members);
    }
    let frames = join_all(sends).await?;
    if meta.response_policy != ResponsePolicy::Default {
        return merge::fan_in(meta.response_policy, frames);
    }
    // In key order: each part's array holds its keys' replies.
    let mut items: Vec<Option<Bytes>> = vec![None; keys.len()];
    for (frame, members) in frames.iter().zip(&order) {
        if is_error(frame) {
            return Ok(frame.clone());
        }
        let parts = merge::elements(frame)?;
        if parts.len() != members.len() {
            return Err(Error::new(
                ErrorKind::Protocol,
                Outcome::Completed,
                "a node's reply to a split command has the wrong length",
            ));
        }
        for (part, &n) in parts.into_iter().zip(members) {
            items[n] = Some(part);
        }
    }
    let items: Vec<Bytes> = items.into_iter().flatten().collect();
    Ok(merge::array(&items))
}

/// Sends one command to the master (or a replica) of `slot`, or to `addr`,
/// following MOVED and ASK, and trying again after TRYAGAIN, CLUSTERDOWN
/// and unreachable nodes. Only a command the cluster did not run, or that
/// was never written, is sent again.
async fn send(
    inner: &Arc<Inner>,
    bytes: Bytes,
    slot: Option<u16>,
    addr: Option<NodeAddr>,
    readonly: bool,
    placement: Placement,
) -> Result<Bytes> {
    let fixed = addr.is_some();
    let mut target = addr;
    let mut asking = false;
    let mut last = None;
    for attempt in 0..inner.config.max_attempts {
        let addr = match target.take() {
            Some(addr) => addr,
            None => match inner.addr_for(slot, readonly) {
                Some(addr) => addr,
                None => {
                    // No node serves the slot: learn the map again, then retry.
                    let _ = inner.refresh().await;
                    tokio::time::sleep(backoff(attempt)).await;
                    last = Some(Error::new(
                        ErrorKind::Server,
                        Outcome::NotSent,
                        format!("no node serves slot {}", slot.unwrap_or(0)),
                    ));
                    continue;
                }
            },
        };
        let reply = exchange(inner, &addr, &bytes, asking, placement).await;
        asking = false;
        match reply {
            Ok(frame) if is_error(&frame) => match redirection(&frame) {
                Some(Redirect::Moved { slot, addr }) => {
                    inner.moved(slot, &addr);
                    target = Some(addr);
                }
                Some(Redirect::Ask { addr }) => {
                    inner
                        .stats
                        .asked
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    target = Some(addr);
                    asking = true;
                }
                Some(Redirect::TryAgain) => {
                    inner
                        .stats
                        .retried
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    tokio::time::sleep(backoff(attempt)).await;
                    target = Some(addr);
                }
                Some(Redirect::Down) => {
                    inner
                        .stats
                        .retried
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    tokio::time::sleep(backoff(attempt)).await;
                    inner.schedule_refresh();
                    target = fixed.then_some(addr);
                }
                None => return Ok(frame),
            },
            Ok(frame) => return Ok(frame),
            Err(e)
                if e.outcome() == Outcome::NotSent
                    && matches!(
                        e.kind(),
                        ErrorKind::Io | ErrorKind::Closed | ErrorKind::Timeout
                    ) =>
            {
                // Never written: the node is down or unreachable. Learn the map
                // again (a replica may have taken over) and try again.
                inner
                    .stats
                    .retried
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tokio::time::sleep(backoff(attempt)).await;
                let _ = inner.refresh().await;
                target = fixed.then_some(addr);
                last = Some(e);
            }
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        Error::new(
            ErrorKind::Server,
            Outcome::NotSent,
            format!(
                "the cluster redirected the command {} times",
                inner.config.max_attempts
            ),
        )
    }))
}

/// One round trip with one node: the command (after ASKING when asked to),
/// on the node's shared connection, or on one its pool lends for a
/// blocking command.
async fn exchange(
    inner: &Arc<Inner>,
    addr: &str,
    bytes: &Bytes,
    asking: bool,
    placement: Placement,
) -> Result<Bytes> {
    let node = inner.node(addr).await?;
    let lost = || {
        Error::closed(
            Outcome::Unknown,
            "the node's connection stopped before the reply",
        )
    };
    if asking {
        let mut both = BytesMut::with_capacity(bytes.len() + 20);
        both.extend_from_slice(b"*1\r\n$6\r\nASKING\r\n");
        both.extend_from_slice(bytes);
        let frames = match placement {
            Placement::Pooled => {
                let connection = node.pool().get().await?;
                connection
                    .send_batch(&both, 2)
                    .await
                    .map_err(|_| lost())??
            }
            _ => node.send_batch(&both, 2).await.map_err(|_| lost())??,
        };
        return frames.into_iter().nth(1).ok_or_else(lost);
    }
    match placement {
        Placement::Pooled => {
            let connection = node.pool().get().await?;
            connection.send_encoded(bytes).await.map_err(|_| lost())?
        }
        _ => node.send_encoded(bytes).await.map_err(|_| lost())?,
    }
}

enum Redirect {
    Moved { slot: u16, addr: NodeAddr },
    Ask { addr: NodeAddr },
    TryAgain,
    Down,
}

/// The redirection an error reply asks for, if any.
fn redirection(frame: &[u8]) -> Option<Redirect> {
    let text = std::str::from_utf8(frame.get(1..)?).ok()?;
    let text = text.trim_end();
    let mut words = text.split(' ');
    match words.next()? {
        "MOVED" => {
            let slot = words.next()?.parse().ok()?;
            let addr = words.next()?.to_string();
            Some(Redirect::Moved { slot, addr })
        }
        "ASK" => {
            let _slot = words.next()?;
            let addr = words.next()?.to_string();
            Some(Redirect::Ask { addr })
        }
        "TRYAGAIN" => Some(Redirect::TryAgain),
        "CLUSTERDOWN" => Some(Redirect::Down),
        _ => None,
    }
}

/// Waits for every send, concurrently; the first error ends the wait.
async fn join_all<F>(sends: Vec<F>) -> Result<Vec<Bytes>>
where
    F: std::future::Future<Output = Result<Bytes>>,
{
    let mut set = Vec::with_capacity(sends.len());
    for send in sends {
        set.push(Box::pin(send));
    }
    let mut out: Vec<Option<Bytes>> = vec![None; set.len()];
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, send) in set.iter_mut().enumerate() {
            if out[i].is_some() {
                continue;
            }
            match send.as_mut().poll(cx) {
                std::task::Poll::Ready(Ok(frame)) => out[i] = Some(frame),
                std::task::Poll::Ready(Err(e)) => return std::task::Poll::Ready(Err(e)),
                std::task::Poll::Pending => pending = true,
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(Ok(()))
        }
    })
    .await?;
    Ok(out.into_iter().flatten().collect())
}

/// Encodes words as one command.
fn encode(words: &[&[u8]]) -> Bytes {
    let mut out = BytesMut::new();
    out.extend_from_slice(format!("*{}\r\n", words.len()).as_bytes());
    for word in words {
        out.extend_from_slice(format!("${}\r\n", word.len()).as_bytes());
        out.extend_from_slice(word);
        out.extend_from_slice(b"\r\n");
    }
    out.freeze()
}

/// 10 ms doubling to 1 s between attempts that the cluster asked to repeat.
fn backoff(attempt: usize) -> Duration {
    Duration::from_millis(10u64 << attempt.min(7)).min(Duration::from_secs(1))
}

/// A pipeline through a cluster: each command routed on its own (split per
/// node, sent concurrently), replies in the caller's order; a transaction
/// (`atomic`, from MULTI to EXEC in `bytes`) must keep to one slot and is sent
/// whole to its master, again after MOVED when EXEC was aborted for it.
pub(crate) async fn pipeline(
    inner: Arc<Inner>,
    bytes: Bytes,
    start: usize,
    routes: Vec<(usize, &'static CommandMeta)>,
    atomic: bool,
) -> Result<Vec<Bytes>> {
    let mut commands = Vec::with_capacity(routes.len());
    let mut at = start;
    for (end, meta) in routes {
        commands.push((bytes.slice(at..end), meta));
        at = end;
    }
    if !atomic {
        let sends = commands
            .into_iter()
            .map(|(command, meta)| run(inner.clone(), command, meta, Placement::Shared))
            .collect();
        return join_all(sends).await;
    }
    let mut slots = Vec::new();
    for (command, meta) in &commands {
        let ranges = words(command).ok_or_else(|| {
            Error::new(ErrorKind::Usage, Outcome::NotSent, "not one whole command")
        })?;
        let argv: Vec<&[u8]> = ranges.iter().map(|r| &command[r.clone()]).collect();
        slots.extend(
            key_positions(meta.key_specs, &argv)
                .into_iter()
                .map(|i| slot(argv[i])),
        );
    }
    slots.sort_unstable();
    slots.dedup();
    if slots.len() > 1 {
        return Err(Error::new(
            ErrorKind::CrossSlot,
            Outcome::NotSent,
            format!(
                "a cluster transaction runs on one node, but its keys are in {} hash slots \
                 (give them the same {{hash tag}})",
                slots.len()
            ),
        ));
    }
    let slot = slots.first().copied();
    let replies = commands.len() + 2;
    let mut last = None;
    for attempt in 0..inner.config.max_attempts {
        let Some(addr) = inner.addr_for(slot, false) else {
            let _ = inner.refresh().await;
            continue;
        };
        let node = inner.node(&addr).await?;
        let frames = node.send_batch(&bytes, replies).await.map_err(|_| {
            Error::closed(
                Outcome::Unknown,
                "the node's connection stopped before the replies",
            )
        })??;
        let aborted = frames.last().is_some_and(|f| f.starts_with(b"-EXECABORT"));
        let moved = frames.iter().find_map(|f| match redirection(f) {
            Some(Redirect::Moved { slot, addr }) => Some((slot, addr)),
            _ => None,
        });
        match (aborted, moved) {
            (true, Some((slot, addr))) => {
                inner.moved(slot, &addr);
                last = Some(frames);
                tokio::time::sleep(backoff(attempt)).await;
            }
            _ => return Ok(frames),
        }
    }
    last.ok_or_else(|| {
        Error::new(
            ErrorKind::Server,
            Outcome::NotSent,
            "no node serves the transaction's slot",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirections_are_read_from_error_replies() {
        match redirection(b"-MOVED 3999 127.0.0.1:6381\r\n") {
            Some(Redirect::Moved { slot, addr }) => {
                assert_eq!((slot, addr.as_str()), (3999, "127.0.0.1:6381"))
            }
            _ => panic!("not a MOVED"),
        }
        assert!(matches!(
            redirection(b"-ASK 3999 127.0.0.1:6381\r\n"),
            Some(Redirect::Ask { addr }) if addr == "127.0.0.1:6381"
        ));
        assert!(matches!(
            redirection(b"-TRYAGAIN Multiple keys request during rehashing of slot\r\n"),
            Some(Redirect::TryAgain)
        ));
        assert!(matches!(
            redirection(b"-CLUSTERDOWN The cluster is down\r\n"),
            Some(Redirect::Down)
        ));
        assert!(redirection(b"-ERR wrong number of arguments\r\n").is_none());
        assert!(redirection(b"-MOVED x\r\n").is_none());
    }
}
