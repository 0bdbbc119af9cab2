//! Reading what a subscribed connection receives: RESP2 arrays and RESP3
//! pushes alike (`message`, `pmessage`, `smessage`, the (un)subscribe
//! confirmations, `pong`), plus plain replies and errors.

use bytes::Bytes;

use super::message::{Kind, Message};
use crate::error::DecodeError;
use crate::resp::{Item, Reader};
use crate::value::{describe, text};

/// One frame a subscribed connection received, read.
#[derive(Debug, PartialEq)]
pub(crate) enum Incoming {
    /// A published message.
    Message(Message),
    /// The server confirmed one name of a (un)subscribe command.
    Confirm { kind: Kind, subscribe: bool },
    /// An error reply to the oldest command waiting.
    Error(Bytes),
    /// Anything else: `PONG`, a push of another kind (`invalidate`).
    Other,
}

/// Reads one complete frame. A frame that is valid RESP but not what a
/// subscribed connection should receive is a [`DecodeError`] saying what
/// came; the caller skips it.
pub(crate) fn read(frame: &Bytes) -> Result<Incoming, DecodeError> {
    let mut reader = Reader::new(frame);
    let (len, push) = match reader.next()? {
        Item::Push(n) => (n, true),
        Item::Array(n) => (n, false),
        Item::Error(e) => return Ok(Incoming::Error(reader.bytes(e))),
        _ => return Ok(Incoming::Other),
    };
    if len == 0 {
        return Err(DecodeError::new("a pub/sub message", "an empty array"));
    }
    let first = reader.next()?;
    let Some(word) = text(&first) else {
        return Err(DecodeError::new("a pub/sub message kind", describe(&first)));
    };
    let what = match word {
        b"message" => What::Message(Kind::Channel),
        b"smessage" => What::Message(Kind::Shard),
        b"pmessage" => What::Message(Kind::Pattern),
        b"subscribe" => What::Confirm(Kind::Channel, true),
        b"psubscribe" => What::Confirm(Kind::Pattern, true),
        b"ssubscribe" => What::Confirm(Kind::Shard, true),
        b"unsubscribe" => What::Confirm(Kind::Channel, false),
        b"punsubscribe" => What::Confirm(Kind::Pattern, false),
        b"sunsubscribe" => What::Confirm(Kind::Shard, false),
        b"pong" => return Ok(Incoming::Other),
        // Pushes of other kinds (`invalidate`) are not for a subscriber.
        _ if push => return Ok(Incoming::Other),
        _ => {
            return Err(DecodeError::new("a pub/sub message kind", describe(&first)));
        }
    };
    let arity = match what {
        What::Message(Kind::Pattern) => 4,
        _ => 3,
    };
    if len != arity {
        return Err(DecodeError::new(
            if arity == 4 {
                "a pub/sub message of 4 elements"
            } else {
                "a pub/sub message of 3 elements"
            },
            format!("{len} elements"),
        ));
    }
    match what {
        What::Message(kind) => {
            let pattern = match kind {
                Kind::Pattern => Some(bulk(&mut reader, "a pattern")?),
                _ => None,
            };
            let channel = bulk(&mut reader, "a channel name")?;
            let payload = bulk(&mut reader, "a message payload")?;
            Ok(Incoming::Message(Message {
                kind,
                channel,
                pattern,
                payload,
            }))
        }
        What::Confirm(kind, subscribe) => {
            // The name (null after unsubscribing from nothing), then the count.
            match reader.next()? {
                Item::Null => {}
                item if text(&item).is_some() => {}
                other => return Err(DecodeError::new("a channel name", describe(&other))),
            }
            match reader.next()? {
                Item::Integer(_) => Ok(Incoming::Confirm { kind, subscribe }),
                other => Err(DecodeError::new("a subscription count", describe(&other))),
            }
        }
    }
}

enum What {
    Message(Kind),
    Confirm(Kind, bool),
}

fn bulk(reader: &mut Reader<'_>, what: &'static str) -> Result<Bytes, DecodeError> {
    let item = reader.next()?;
    match text(&item) {
        Some(b) => Ok(reader.bytes(b)),
        None => Err(DecodeError::new(what, describe(&item))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_static(frame: &'static [u8]) -> Result<Incoming, DecodeError> {
        read(&Bytes::from_static(frame))
    }

    #[test]
    fn reads_messages_from_arrays_and_pushes() {
        for prefix in [b'*', b'>'] {
            let mut frame = vec![prefix];
            frame.extend_from_slice(b"3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n");
            let Incoming::Message(m) = read(&Bytes::from(frame)).unwrap() else {
                panic!("not a message")
            };
            assert_eq!(
                (m.kind, &m.channel[..], m.pattern, &m.payload[..]),
                (Kind::Channel, &b"news"[..], None, &b"hi"[..])
            );
        }
        let Incoming::Message(m) =
            read_static(b">4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$0\r\n\r\n").unwrap()
        else {
            panic!("not a message")
        };
        assert_eq!(m.kind, Kind::Pattern);
        assert_eq!(m.pattern.as_deref(), Some(&b"n*"[..]));
        assert_eq!(&m.payload[..], b"");
        let Incoming::Message(m) =
            read_static(b"*3\r\n$8\r\nsmessage\r\n$1\r\ns\r\n$1\r\nx\r\n").unwrap()
        else {
            panic!("not a message")
        };
        assert_eq!(m.kind, Kind::Shard);
    }

    #[test]
    fn reads_confirmations_of_every_kind() {
        for (word, kind, subscribe) in [
            ("subscribe", Kind::Channel, true),
            ("psubscribe", Kind::Pattern, true),
            ("ssubscribe", Kind::Shard, true),
            ("unsubscribe", Kind::Channel, false),
            ("punsubscribe", Kind::Pattern, false),
            ("sunsubscribe", Kind::Shard, false),
        ] {
            let frame = format!(">3\r\n${}\r\n{word}\r\n$1\r\nc\r\n:1\r\n", word.len());
            assert_eq!(
                read(&Bytes::from(frame)).unwrap(),
                Incoming::Confirm { kind, subscribe },
                "{word}"
            );
        }
        // Unsubscribing from nothing names no channel.
        assert_eq!(
            read_static(b"*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n").unwrap(),
            Incoming::Confirm {
                kind: Kind::Channel,
                subscribe: false
            }
        );
    }

    #[test]
    fn other_frames_are_not_messages() {
        assert_eq!(read_static(b"+PONG\r\n").unwrap(), Incoming::Other);
        assert_eq!(
            read_static(b"*2\r\n$4\r\npong\r\n$0\r\n\r\n").unwrap(),
            Incoming::Other
        );
        assert_eq!(
            read_static(b">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n").unwrap(),
            Incoming::Other
        );
        assert_eq!(
            read_static(b"-NOPERM no\r\n").unwrap(),
            Incoming::Error(Bytes::from_static(b"NOPERM no"))
        );
    }

    /// Malformed frames are errors that say what came, never panics.
    #[test]
    fn malformed_frames_are_decode_errors() {
        for (frame, says) in [
            (&b"*0\r\n"[..], "an empty array"),
            (b">0\r\n", "an empty array"),
            (b"*1\r\n:1\r\n", "integer 1"),
            (
                b"*3\r\n$5\r\nhello\r\n$1\r\nc\r\n$1\r\np\r\n",
                "bulk string \"hello\"",
            ),
            (b"*2\r\n$7\r\nmessage\r\n$1\r\nc\r\n", "2 elements"),
            (
                b">4\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\np\r\n$1\r\nx\r\n",
                "4 elements",
            ),
            (b"*3\r\n$7\r\nmessage\r\n:5\r\n$1\r\np\r\n", "integer 5"),
            (b"*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n*0\r\n", "array of 0"),
            (
                b"*3\r\n$8\r\npmessage\r\n$1\r\nc\r\n$1\r\np\r\n",
                "3 elements",
            ),
            (
                b"*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n$1\r\nx\r\n",
                "subscription count",
            ),
            (b"*3\r\n$9\r\nsubscribe\r\n:1\r\n:1\r\n", "channel name"),
            // Valid framing, truncated content (the reader is given a bad frame).
            (b"*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n", "well-formed"),
            (b">3\r\n$7\r\nmessage\r\n$9\r\nc\r\n", "well-formed"),
        ] {
            let e = read(&Bytes::copy_from_slice(frame)).unwrap_err();
            assert!(
                e.to_string().contains(says),
                "{:?}: {e}",
                String::from_utf8_lossy(frame)
            );
        }
    }
}
