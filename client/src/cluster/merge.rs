//! Combining the replies of a command a cluster sent to several nodes, by
//! its response policy, into one reply frame the command's shape decodes.

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::{Error, Outcome, Result};
use crate::resp::{FrameScanner, Limits};
use crate::routing::ResponsePolicy;

/// True for an error reply (`-…` or RESP3's `!…`).
pub(crate) fn is_error(frame: &[u8]) -> bool {
    matches!(frame.first(), Some(b'-' | b'!'))
}

/// Merges the replies of one command sent to every shard (or node).
pub(crate) fn fan_in(policy: ResponsePolicy, frames: Vec<Bytes>) -> Result<Bytes> {
    let first_error = frames.iter().find(|f| is_error(f)).cloned();
    match policy {
        ResponsePolicy::OneSucceeded => Ok(frames
            .iter()
            .find(|f| !is_error(f))
            .cloned()
            .or(first_error)
            .unwrap_or_else(empty_array)),
        _ if first_error.is_some() => Ok(first_error.unwrap_or_else(empty_array)),
        ResponsePolicy::AllSucceeded => Ok(frames.into_iter().next().unwrap_or_else(empty_array)),
        ResponsePolicy::AggSum
        | ResponsePolicy::AggMin
        | ResponsePolicy::AggMax
        | ResponsePolicy::AggLogicalAnd
        | ResponsePolicy::AggLogicalOr => {
            if frames.iter().all(|f| f.first() == Some(&b'*')) {
                return aggregate_each(policy, &frames);
            }
            let numbers = frames
                .iter()
                .map(|f| integer(f))
                .collect::<Result<Vec<i64>>>()?;
            Ok(Bytes::from(format!(":{}\r\n", aggregate(policy, &numbers))))
        }
        ResponsePolicy::Default | ResponsePolicy::Special => join(frames),
    }
}

/// The integers of one reply per node, combined by an `agg_*` policy.
fn aggregate(policy: ResponsePolicy, numbers: &[i64]) -> i64 {
    match policy {
        ResponsePolicy::AggSum => numbers.iter().sum(),
        ResponsePolicy::AggMin => numbers.iter().copied().min().unwrap_or(0),
        ResponsePolicy::AggMax => numbers.iter().copied().max().unwrap_or(0),
        ResponsePolicy::AggLogicalAnd => i64::from(numbers.iter().all(|&n| n != 0)),
        _ => i64::from(numbers.iter().any(|&n| n != 0)),
    }
}

/// Arrays of integers (SCRIPT EXISTS), combined position by position.
fn aggregate_each(policy: ResponsePolicy, frames: &[Bytes]) -> Result<Bytes> {
    let arrays = frames
        .iter()
        .map(|f| elements(f)?.iter().map(|e| integer(e)).collect())
        .collect::<Result<Vec<Vec<i64>>>>()?;
    let len = arrays.first().map_or(0, Vec::len);
    if arrays.iter().any(|a| a.len() != len) {
        return Err(protocol("the nodes' array replies differ in length"));
    }
    let items: Vec<Bytes> = (0..len)
        .map(|i| {
            let column: Vec<i64> = arrays.iter().map(|a| a[i]).collect();
            Bytes::from(format!(":{}\r\n", aggregate(policy, &column)))
        })
        .collect();
    Ok(array(&items))
}

/// Arrays (and sets, maps) joined element by element; any other reply: the first.
fn join(frames: Vec<Bytes>) -> Result<Bytes> {
    let Some(kind) = frames.first().and_then(|f| f.first().copied()) else {
        return Ok(empty_array());
    };
    if !matches!(kind, b'*' | b'~' | b'%') {
        // One value from several shards (RANDOMKEY): the first that is not nil.
        let is_nil = |f: &Bytes| matches!(&f[..], b"_\r\n" | b"$-1\r\n" | b"*-1\r\n");
        let first = frames.iter().find(|f| !is_nil(f)).cloned();
        return Ok(first.unwrap_or_else(|| frames[0].clone()));
    }
    let mut count = 0;
    let mut body = BytesMut::new();
    for frame in &frames {
        if frame.first() != Some(&kind) {
            return Err(mixed());
        }
        let (n, items) = split_aggregate(frame)?;
        count += n;
        body.extend_from_slice(items);
    }
    let mut out = BytesMut::with_capacity(body.len() + 16);
    out.put_u8(kind);
    out.extend_from_slice(format!("{count}\r\n").as_bytes());
    out.extend_from_slice(&body);
    Ok(out.freeze())
}

/// The element count of an aggregate frame and the bytes of its elements.
fn split_aggregate(frame: &[u8]) -> Result<(usize, &[u8])> {
    let end = frame
        .iter()
        .position(|&b| b == b'\r')
        .ok_or_else(|| protocol("an aggregate reply without a header"))?;
    let count: i64 = std::str::from_utf8(&frame[1..end])
        .ok()
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| protocol("an aggregate reply with a bad count"))?;
    Ok((count.max(0) as usize, &frame[(end + 2).min(frame.len())..]))
}

/// The elements of an array reply, each a whole frame.
pub(crate) fn elements(frame: &Bytes) -> Result<Vec<Bytes>> {
    if frame.first() != Some(&b'*') {
        return Err(protocol("expected an array reply from a node"));
    }
    let (count, items) = split_aggregate(frame)?;
    let offset = frame.len() - items.len();
    let mut scanner = FrameScanner::new(Limits::default());
    let mut out = Vec::with_capacity(count);
    let mut at = offset;
    for _ in 0..count {
        let n = scanner
            .scan(&frame[at..])
            .map_err(|e| Error::protocol(Outcome::Completed, e))?
            .ok_or_else(|| protocol("an array reply cut short"))?;
        out.push(frame.slice(at..at + n));
        at += n;
    }
    Ok(out)
}

/// An array frame of `items`, each a whole frame.
pub(crate) fn array(items: &[Bytes]) -> Bytes {
    let mut out = BytesMut::new();
    out.extend_from_slice(format!("*{}\r\n", items.len()).as_bytes());
    for item in items {
        out.extend_from_slice(item);
    }
    out.freeze()
}

fn integer(frame: &[u8]) -> Result<i64> {
    if frame.first() != Some(&b':') {
        return Err(mixed());
    }
    std::str::from_utf8(&frame[1..frame.len().saturating_sub(2)])
        .ok()
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| protocol("an integer reply that is not a number"))
}

fn empty_array() -> Bytes {
    Bytes::from_static(b"*0\r\n")
}

fn mixed() -> Error {
    protocol("the nodes' replies to one command differ in kind")
}

fn protocol(what: &str) -> Error {
    Error::new(
        crate::ErrorKind::Protocol,
        Outcome::Completed,
        what.to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> Bytes {
        Bytes::from(s.to_owned())
    }

    #[test]
    fn integers_aggregate_by_policy() {
        let replies = || vec![b(":3\r\n"), b(":0\r\n"), b(":4\r\n")];
        assert_eq!(
            fan_in(ResponsePolicy::AggSum, replies()).unwrap(),
            b(":7\r\n")
        );
        assert_eq!(
            fan_in(ResponsePolicy::AggMin, replies()).unwrap(),
            b(":0\r\n")
        );
        assert_eq!(
            fan_in(ResponsePolicy::AggMax, replies()).unwrap(),
            b(":4\r\n")
        );
        assert_eq!(
            fan_in(ResponsePolicy::AggLogicalAnd, replies()).unwrap(),
            b(":0\r\n")
        );
        assert_eq!(
            fan_in(ResponsePolicy::AggLogicalOr, replies()).unwrap(),
            b(":1\r\n")
        );
    }

    #[test]
    fn arrays_of_integers_aggregate_position_by_position() {
        // SCRIPT EXISTS: a script exists only where every node has it.
        let replies = vec![b("*3\r\n:1\r\n:0\r\n:1\r\n"), b("*3\r\n:1\r\n:0\r\n:0\r\n")];
        assert_eq!(
            fan_in(ResponsePolicy::AggLogicalAnd, replies.clone()).unwrap(),
            b("*3\r\n:1\r\n:0\r\n:0\r\n")
        );
        assert_eq!(
            fan_in(ResponsePolicy::AggSum, replies).unwrap(),
            b("*3\r\n:2\r\n:0\r\n:1\r\n")
        );
        assert!(
            fan_in(
                ResponsePolicy::AggLogicalAnd,
                vec![b("*1\r\n:1\r\n"), b("*0\r\n")]
            )
            .is_err()
        );
    }

    #[test]
    fn arrays_join_and_errors_win_unless_one_success_is_enough() {
        let joined = fan_in(
            ResponsePolicy::Default,
            vec![
                b("*1\r\n$1\r\na\r\n"),
                b("*0\r\n"),
                b("*2\r\n:1\r\n$1\r\nb\r\n"),
            ],
        )
        .unwrap();
        assert_eq!(joined, b("*3\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n"));
        let failed = vec![b("+OK\r\n"), b("-ERR no\r\n")];
        assert_eq!(
            fan_in(ResponsePolicy::AllSucceeded, failed.clone()).unwrap(),
            b("-ERR no\r\n")
        );
        assert_eq!(
            fan_in(ResponsePolicy::OneSucceeded, failed).unwrap(),
            b("+OK\r\n")
        );
        assert!(fan_in(ResponsePolicy::AggSum, vec![b(":1\r\n"), b("+OK\r\n")]).is_err());
    }

    #[test]
    fn single_values_from_several_shards_prefer_one_that_is_not_nil() {
        let replies = vec![b("$-1\r\n"), b("_\r\n"), b("$1\r\nk\r\n")];
        assert_eq!(
            fan_in(ResponsePolicy::Default, replies).unwrap(),
            b("$1\r\nk\r\n")
        );
        let all_nil = vec![b("$-1\r\n"), b("$-1\r\n")];
        assert_eq!(
            fan_in(ResponsePolicy::Default, all_nil).unwrap(),
            b("$-1\r\n")
        );
    }

    #[test]
    fn elements_split_an_array_into_frames() {
        let items = elements(&b("*3\r\n$1\r\na\r\n*1\r\n:2\r\n_\r\n")).unwrap();
        assert_eq!(items, [b("$1\r\na\r\n"), b("*1\r\n:2\r\n"), b("_\r\n")]);
        assert_eq!(array(&items), b("*3\r\n$1\r\na\r\n*1\r\n:2\r\n_\r\n"));
        assert!(elements(&b("*2\r\n$1\r\na\r\n")).is_err());
    }
}
