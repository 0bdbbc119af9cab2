//! A small blocking RESP3 client for the CLI's `refresh` and `check`: it asks
//! a live server for `COMMAND DOCS` and `COMMAND INFO` and returns them as JSON.
//!
//! This is not the client's protocol code (that crate depends on this one at
//! build time, so this one cannot depend on it); it reads whole replies into a
//! JSON tree, which is all a command-line tool that runs twice a year needs.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::{Map, Value};

/// A connection to a server given as `redis://[[user]:password@]host[:port]`.
pub struct Live {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

fn parse_url(url: &str) -> Result<(String, Option<(String, String)>), String> {
    let rest = url
        .strip_prefix("redis://")
        .ok_or_else(|| format!("{url}: only redis:// URLs are supported"))?;
    let rest = rest.split(['/', '?']).next().unwrap_or_default();
    let (auth, host) = match rest.rsplit_once('@') {
        Some((auth, host)) => {
            let (user, pass) = auth.split_once(':').unwrap_or(("", auth));
            let user = if user.is_empty() { "default" } else { user };
            (Some((user.to_string(), pass.to_string())), host)
        }
        None => (None, rest),
    };
    let host = if host.contains(':') {
        host.to_string()
    } else {
        format!("{host}:6379")
    };
    Ok((host, auth))
}

impl Live {
    /// Connects and switches to RESP3 (authenticating when the URL has a password).
    pub fn connect(url: &str) -> Result<Live, String> {
        let (addr, auth) = parse_url(url)?;
        let stream =
            TcpStream::connect(&addr).map_err(|e| format!("cannot connect to {addr}: {e}"))?;
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .map_err(|e| e.to_string())?;
        let writer = stream.try_clone().map_err(|e| e.to_string())?;
        let mut live = Live {
            reader: BufReader::new(stream),
            writer,
        };
        let mut hello = vec!["HELLO", "3"];
        if let Some((user, pass)) = &auth {
            hello.extend(["AUTH", user.as_str(), pass.as_str()]);
        }
        live.call(&hello)?;
        Ok(live)
    }

    /// Sends a command and returns its reply as JSON; an error reply is `Err`.
    pub fn call(&mut self, args: &[&str]) -> Result<Value, String> {
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            out.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
        }
        self.writer.write_all(&out).map_err(|e| e.to_string())?;
        self.read()
    }

    fn line(&mut self) -> Result<String, String> {
        let mut line = String::new();
        self.reader
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        if !line.ends_with("\r\n") {
            return Err("connection closed mid-reply".into());
        }
        line.truncate(line.len() - 2);
        Ok(line)
    }

    fn read(&mut self) -> Result<Value, String> {
        let line = self.line()?;
        let (kind, rest) = line.split_at(1.min(line.len()));
        let len = || {
            rest.parse::<i64>()
                .map_err(|_| format!("bad length in `{line}`"))
        };
        Ok(match kind {
            "+" => Value::String(rest.to_string()),
            "-" => return Err(rest.to_string()),
            ":" => Value::from(len()?),
            "," => rest
                .parse::<f64>()
                .map(Value::from)
                .map_err(|_| format!("bad double `{rest}`"))?,
            "#" => Value::Bool(rest == "t"),
            "_" => Value::Null,
            "$" | "=" | "!" => {
                let n = len()?;
                if n < 0 {
                    return Ok(Value::Null);
                }
                let mut buf = vec![0; n as usize + 2];
                self.reader
                    .read_exact(&mut buf)
                    .map_err(|e| e.to_string())?;
                buf.truncate(n as usize);
                let text = String::from_utf8_lossy(&buf).into_owned();
                if kind == "!" {
                    return Err(text);
                }
                Value::String(if kind == "=" {
                    text.get(4..).unwrap_or_default().to_string()
                } else {
                    text
                })
            }
            "*" | "~" | ">" => {
                let n = len()?;
                if n < 0 {
                    return Ok(Value::Null);
                }
                Value::Array((0..n).map(|_| self.read()).collect::<Result<_, _>>()?)
            }
            "%" | "|" => {
                let n = len()?;
                let mut map = Map::new();
                for _ in 0..n {
                    let k = match self.read()? {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    map.insert(k, self.read()?);
                }
                if kind == "|" {
                    return self.read(); // attributes precede the value they annotate
                }
                Value::Object(map)
            }
            _ => return Err(format!("unexpected reply `{line}`")),
        })
    }
}
