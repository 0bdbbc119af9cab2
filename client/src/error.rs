//! The one error type of redtyped.

use std::fmt;
use std::sync::Arc;

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, for callers that branch on it.
///
/// ```
/// # async fn demo(client: redtyped::Client) {
/// use redtyped::ErrorKind;
/// match client.incr("not-a-number").await {
///     Ok(n) => println!("now {n}"),
///     Err(e) if e.kind() == ErrorKind::Server => println!("server said {:?}: {}", e.server_code(), e),
///     Err(e) => println!("failed: {e}"),
/// }
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A socket read, write or connect failed.
    Io,
    /// The server sent bytes that are not valid RESP; the connection is dropped.
    Protocol,
    /// The server answered with an error reply (`WRONGTYPE …`, `ERR …`).
    Server,
    /// Authentication was refused (wrong password, unknown user).
    Auth,
    /// No answer in time.
    Timeout,
    /// The client or connection is closed.
    Closed,
    /// The reply does not have the shape the command's type expects.
    Decode,
    /// The connection settings (a URL, an option) are invalid.
    Config,
    /// The call cannot work as made (a blocking command on the shared client).
    Usage,
    /// TLS failed: a certificate was refused, a file could not be read, the handshake broke.
    Tls,
    /// A watched key changed, so the transaction did not run (EXEC replied nil).
    WatchConflict,
    /// No pooled connection became free within the pool's acquire timeout.
    PoolTimeout,
    /// A cluster command's keys are in different hash slots (found before sending).
    CrossSlot,
}

impl ErrorKind {
    fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Io => "io error",
            ErrorKind::Protocol => "protocol error",
            ErrorKind::Server => "server error",
            ErrorKind::Auth => "authentication failed",
            ErrorKind::Timeout => "timed out",
            ErrorKind::Closed => "connection closed",
            ErrorKind::Decode => "unexpected reply",
            ErrorKind::Config => "invalid configuration",
            ErrorKind::Usage => "unsupported use",
            ErrorKind::Tls => "TLS error",
            ErrorKind::WatchConflict => "watch conflict",
            ErrorKind::PoolTimeout => "pool timeout",
            ErrorKind::CrossSlot => "keys in different slots",
        }
    }

    /// A short name for logs and metrics: `io`, `protocol`, `server`, `auth`,
    /// `timeout`, `closed`, `decode`, `config`, `usage`, `tls`,
    /// `watch_conflict`, `pool_timeout`, `cross_slot`.
    ///
    /// ```
    /// assert_eq!(redtyped::ErrorKind::PoolTimeout.name(), "pool_timeout");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Io => "io",
            ErrorKind::Protocol => "protocol",
            ErrorKind::Server => "server",
            ErrorKind::Auth => "auth",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Closed => "closed",
            ErrorKind::Decode => "decode",
            ErrorKind::Config => "config",
            ErrorKind::Usage => "usage",
            ErrorKind::Tls => "tls",
            ErrorKind::WatchConflict => "watch_conflict",
            ErrorKind::PoolTimeout => "pool_timeout",
            ErrorKind::CrossSlot => "cross_slot",
        }
    }
}

/// Whether a failed command reached the server, so a caller knows what is safe to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The command was never written to a server: safe to send again.
    NotSent,
    /// The command was written but its reply was lost: it may or may not have run.
    Unknown,
    /// The server ran (or rejected) the command and replied.
    Completed,
}

/// The error of every redtyped operation: a kind to match on, predicates, and a
/// readable message (`"server error: WRONGTYPE Operation against a key …"`).
///
/// Secrets (passwords) never appear in it.
#[derive(Clone)]
pub struct Error(Box<Inner>);

#[derive(Clone)]
struct Inner {
    kind: ErrorKind,
    outcome: Outcome,
    message: String,
    command: Option<std::borrow::Cow<'static, str>>,
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, outcome: Outcome, message: impl Into<String>) -> Error {
        Error(Box::new(Inner {
            kind,
            outcome,
            message: message.into(),
            command: None,
            source: None,
        }))
    }

    pub(crate) fn with_source(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Error {
        self.0.source = Some(Arc::new(source));
        self
    }

    pub(crate) fn with_command(
        mut self,
        command: impl Into<std::borrow::Cow<'static, str>>,
    ) -> Error {
        self.0.command = Some(command.into());
        self
    }

    pub(crate) fn io(outcome: Outcome, error: std::io::Error) -> Error {
        let kind = if error.kind() == std::io::ErrorKind::TimedOut {
            ErrorKind::Timeout
        } else {
            ErrorKind::Io
        };
        Error::new(kind, outcome, error.to_string()).with_source(error)
    }

    pub(crate) fn closed(outcome: Outcome, why: impl Into<String>) -> Error {
        Error::new(ErrorKind::Closed, outcome, why)
    }

    pub(crate) fn config(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Config, Outcome::NotSent, message)
    }

    pub(crate) fn server(message: &[u8]) -> Error {
        Error::new(
            ErrorKind::Server,
            Outcome::Completed,
            String::from_utf8_lossy(message).into_owned(),
        )
    }

    pub(crate) fn protocol(outcome: Outcome, error: crate::resp::ProtocolError) -> Error {
        Error::new(ErrorKind::Protocol, outcome, error.to_string()).with_source(error)
    }

    /// The [`DecodeError`] stays reachable as the source, for its
    /// [`field`](DecodeError::field).
    pub(crate) fn decode(error: DecodeError) -> Error {
        Error::new(ErrorKind::Decode, Outcome::Completed, error.to_string()).with_source(error)
    }

    pub(crate) fn into_auth(mut self) -> Error {
        if self.0.kind == ErrorKind::Server {
            self.0.kind = ErrorKind::Auth;
        }
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// Whether the failed command reached the server (see [`Outcome`]).
    pub fn outcome(&self) -> Outcome {
        self.0.outcome
    }

    /// The command this error belongs to, when there is one.
    pub fn command(&self) -> Option<&str> {
        self.0.command.as_deref()
    }

    /// For a server error reply, its code: the first word (`WRONGTYPE`, `NOPERM`, `ERR`).
    pub fn server_code(&self) -> Option<&str> {
        match self.0.kind {
            ErrorKind::Server | ErrorKind::Auth => {
                self.0.message.split(' ').next().filter(|c| !c.is_empty())
            }
            _ => None,
        }
    }

    /// The message, without the kind prefix.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// A server error reply.
    pub fn is_server(&self) -> bool {
        self.0.kind == ErrorKind::Server
    }

    /// No answer in time.
    pub fn is_timeout(&self) -> bool {
        self.0.kind == ErrorKind::Timeout
    }

    /// The client or connection is closed.
    pub fn is_closed(&self) -> bool {
        self.0.kind == ErrorKind::Closed
    }

    /// The reply had an unexpected shape.
    pub fn is_decode(&self) -> bool {
        self.0.kind == ErrorKind::Decode
    }

    /// The server refused a write because it is a read-only replica (`READONLY`).
    pub fn is_readonly(&self) -> bool {
        self.server_code() == Some("READONLY")
    }

    /// The ACL user lacks a permission (`NOPERM`).
    pub fn is_no_permission(&self) -> bool {
        self.server_code() == Some("NOPERM")
    }

    /// A script or function is running too long (`BUSY`).
    pub fn is_busy(&self) -> bool {
        self.server_code() == Some("BUSY")
    }

    /// The server is still loading its dataset (`LOADING`).
    pub fn is_loading(&self) -> bool {
        self.server_code() == Some("LOADING")
    }

    /// The server has as many clients as `maxclients` allows.
    pub fn is_max_clients(&self) -> bool {
        self.server_code() == Some("ERR") && self.0.message.contains("max number of clients")
    }

    /// No pooled connection became free in time.
    pub fn is_pool_timeout(&self) -> bool {
        self.0.kind == ErrorKind::PoolTimeout
    }

    /// A cluster command's keys are in different slots: this client found it
    /// before sending ([`ErrorKind::CrossSlot`]), or the server said so
    /// (`CROSSSLOT`).
    pub fn is_cross_slot(&self) -> bool {
        self.0.kind == ErrorKind::CrossSlot || self.server_code() == Some("CROSSSLOT")
    }

    /// A watched key changed and the transaction did not run.
    pub fn is_watch_conflict(&self) -> bool {
        self.0.kind == ErrorKind::WatchConflict
    }

    /// A socket failed.
    pub fn is_io(&self) -> bool {
        self.0.kind == ErrorKind::Io
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.kind.as_str())?;
        if let Some(command) = &self.0.command {
            write!(f, " ({command})")?;
        }
        write!(f, ": {}", self.0.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.0.kind)
            .field("outcome", &self.0.outcome)
            .field("command", &self.0.command)
            .field("message", &self.0.message)
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// A reply whose shape does not match the type asked for: what was expected and what came.
///
/// ```
/// use redtyped::DecodeError;
/// let e = DecodeError::new("an integer", "bulk string");
/// assert_eq!(e.to_string(), "expected an integer, got bulk string");
/// ```
///
/// An error decoding a field of a struct (`#[derive(FromHash)]`) names it:
///
/// ```
/// use redtyped::DecodeError;
/// let e = DecodeError::new("an integer that fits u32", r#"bulk string "old""#).in_field("User", "age");
/// assert_eq!(e.field(), Some("User.age"));
/// assert_eq!(e.to_string(), r#"User.age: expected an integer that fits u32, got bulk string "old""#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    expected: std::borrow::Cow<'static, str>,
    actual: std::borrow::Cow<'static, str>,
    /// The struct field being decoded (`User.age`), outermost last when
    /// flattened structs nest (`Address.city in User.home`).
    field: Option<Box<str>>,
}

impl DecodeError {
    /// A mismatch between `expected` and `actual`.
    pub fn new(
        expected: impl Into<std::borrow::Cow<'static, str>>,
        actual: impl Into<std::borrow::Cow<'static, str>>,
    ) -> DecodeError {
        DecodeError {
            expected: expected.into(),
            actual: actual.into(),
            field: None,
        }
    }

    /// A required field of a struct that the hash does not have.
    ///
    /// ```
    /// use redtyped::DecodeError;
    /// let e = DecodeError::missing_field("User", "email", "e");
    /// assert_eq!(e.to_string(), "User.email: expected the hash field \"e\", got no such field");
    /// ```
    pub fn missing_field(owner: &str, field: &str, hash_field: &str) -> DecodeError {
        DecodeError::new(format!("the hash field {hash_field:?}"), "no such field")
            .in_field(owner, field)
    }

    /// This error happened decoding `field` of the struct `owner`. Called
    /// again (by a struct that flattens `owner` into itself), it adds the
    /// outer field: `Address.city in User.home`.
    pub fn in_field(mut self, owner: &str, field: &str) -> DecodeError {
        self.field = Some(match self.field.take() {
            None => format!("{owner}.{field}").into(),
            Some(inner) => format!("{inner} in {owner}.{field}").into(),
        });
        self
    }

    /// What the decoder expected.
    pub fn expected(&self) -> &str {
        &self.expected
    }

    /// What the server sent.
    pub fn actual(&self) -> &str {
        &self.actual
    }

    /// The struct field this error is about (`User.age`), when decoding one.
    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(field) = &self.field {
            write!(f, "{field}: ")?;
        }
        write!(f, "expected {}, got {}", self.expected, self.actual)
    }
}

impl std::error::Error for DecodeError {}

impl From<crate::resp::ProtocolError> for DecodeError {
    fn from(e: crate::resp::ProtocolError) -> Self {
        DecodeError::new("a well-formed reply", e.to_string())
    }
}
