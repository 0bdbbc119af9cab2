//! Finding a command's keys in its encoded words, by the spec's key specs,
//! the way the server does (`COMMAND GETKEYS` gives the same answer).

use crate::routing::{BeginSearch, FindKeys, KeySpec};

/// The words of one encoded command (`*N\r\n$len\r\nword\r\n…`), as ranges
/// into its bytes. `None` when the bytes are not one whole command.
pub(crate) fn words(bytes: &[u8]) -> Option<Vec<std::ops::Range<usize>>> {
    let (count, mut at) = header(bytes, 0, b'*')?;
    let mut words = Vec::with_capacity(count);
    for _ in 0..count {
        let (len, start) = header(bytes, at, b'$')?;
        let end = start.checked_add(len)?;
        if bytes.get(end..end + 2)? != b"\r\n" {
            return None;
        }
        words.push(start..end);
        at = end + 2;
    }
    (at == bytes.len()).then_some(words)
}

/// Reads `<marker><number>\r\n` at `at`: the number and where the next item starts.
fn header(bytes: &[u8], at: usize, marker: u8) -> Option<(usize, usize)> {
    if *bytes.get(at)? != marker {
        return None;
    }
    let line_end = at + 1 + bytes.get(at + 1..)?.iter().position(|&b| b == b'\r')?;
    let n = std::str::from_utf8(&bytes[at + 1..line_end])
        .ok()?
        .parse()
        .ok()?;
    Some((n, line_end + 2))
}

/// The positions of the keys among `words` (word 0 is the command's name),
/// from every key spec whose search finds them. A spec the words do not fit
/// (a keyword that is absent, a count past the end) adds none.
pub(crate) fn key_positions(specs: &[KeySpec], words: &[&[u8]]) -> Vec<usize> {
    let argc = words.len() as i64;
    let mut keys = Vec::new();
    for spec in specs {
        let Some(first) = begin(spec.begin, words) else {
            continue;
        };
        let (first, last, step) = match spec.find {
            FindKeys::Range {
                last_key,
                key_step,
                limit,
            } => {
                let last_key = i64::from(last_key);
                let last = if last_key >= 0 {
                    first + last_key
                } else if limit <= 1 {
                    argc + last_key
                } else {
                    first + ((argc - first) / i64::from(limit) + last_key)
                };
                (first, last, i64::from(key_step))
            }
            FindKeys::Keynum {
                keynum_index,
                first_key,
                key_step,
            } => {
                let Some(count) = words
                    .get((first + i64::from(keynum_index)) as usize)
                    .and_then(|w| std::str::from_utf8(w).ok())
                    .and_then(|w| w.parse::<i64>().ok())
                    .filter(|&n| n >= 0)
                else {
                    continue;
                };
                let step = i64::from(key_step);
                let first = first + i64::from(first_key);
                (first, first + (count - 1) * step, step)
            }
            FindKeys::Unknown => continue,
        };
        if step <= 0 || first < 1 || last >= argc {
            continue;
        }
        let mut i = first;
        while i <= last {
            keys.push(i as usize);
            i += step;
        }
    }
    keys
}

fn begin(search: BeginSearch, words: &[&[u8]]) -> Option<i64> {
    let argc = words.len() as i64;
    match search {
        BeginSearch::Index(i) => Some(i64::from(i)).filter(|&i| i < argc),
        BeginSearch::Keyword {
            keyword,
            start_from,
        } => {
            let start = i64::from(start_from);
            let (from, forward) = if start >= 0 {
                (start, true)
            } else {
                (argc + start, false)
            };
            let mut i = from;
            while i >= 1 && i < argc {
                if words[i as usize].eq_ignore_ascii_case(keyword.as_bytes()) {
                    return Some(i + 1);
                }
                i += if forward { 1 } else { -1 };
            }
            None
        }
        BeginSearch::Unknown => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Command;
    use crate::cmd;

    fn keys_of<C: Command>(command: C) -> Vec<String> {
        let mut buf = bytes::BytesMut::new();
        let mut w = crate::resp::ArgWriter::begin(&mut buf);
        command.write_args(&mut w);
        w.finish();
        let ranges = words(&buf).expect("one whole command");
        let words: Vec<&[u8]> = ranges.iter().map(|r| &buf[r.clone()]).collect();
        key_positions(C::META.key_specs, &words)
            .into_iter()
            .map(|i| String::from_utf8_lossy(words[i]).into_owned())
            .collect()
    }

    #[test]
    fn keys_are_found_as_the_server_finds_them() {
        assert_eq!(keys_of(cmd::get::<String>("a")), ["a"]);
        assert_eq!(keys_of(cmd::mset([("a", "1"), ("b", "2")])), ["a", "b"]);
        assert_eq!(
            keys_of(cmd::mget::<String, _>(["a", "b", "c"])),
            ["a", "b", "c"]
        );
        assert_eq!(
            keys_of(cmd::xread::<String, _, _>(["s1", "s2"], ["0", "$"]).count(2)),
            ["s1", "s2"]
        );
        assert_eq!(
            keys_of(cmd::eval("return 1", 2).key(["k1", "k2"]).arg(["x"])),
            ["k1", "k2"]
        );
        assert_eq!(keys_of(cmd::dbsize()), Vec::<String>::new());
        assert_eq!(
            keys_of(cmd::zunionstore("dst", 2, ["z1", "z2"])),
            ["dst", "z1", "z2"]
        );
    }

    #[test]
    fn malformed_encodings_have_no_words() {
        assert!(words(b"*1\r\n$3\r\nGET\r\n").is_some());
        assert!(words(b"*2\r\n$3\r\nGET\r\n").is_none());
        assert!(words(b"*1\r\n$9\r\nGET\r\n").is_none());
        assert!(words(b"").is_none());
    }
}
