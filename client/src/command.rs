//! What the runtime needs to know about a command.

use std::borrow::Cow;

use crate::resp::ArgWriter;
use crate::shape::Shape;

/// A command that can be sent: generated for every command in the spec
/// (`redtyped::cmd::*`), and implemented by [`Raw`](crate::Raw) for anything else.
///
/// A command value is inert: it is encoded when it is awaited on a client,
/// passed to [`Client::send`](crate::Client::send), or queued.
///
/// ```
/// use redtyped::{cmd, Command};
///
/// fn name_of<C: Command>(_: &C) -> &'static str { C::META.name }
/// assert_eq!(name_of(&cmd::incr("counter")), "INCR");
/// assert!(<redtyped::cmd::Get<'_, redtyped::shape::Nullable<redtyped::shape::Bulk<String>>>>::META.flags.contains(redtyped::CommandFlags::READONLY));
/// ```
pub trait Command {
    /// How the reply decodes, and into what.
    type Shape: Shape;
    /// Facts about the command from the spec.
    const META: &'static CommandMeta;
    /// Writes the command's name and arguments.
    fn write_args(self, w: &mut ArgWriter<'_>);

    /// True for commands the spec does not describe ([`Raw`](crate::Raw)):
    /// a pooled connection that ran one is not lent again, since what it
    /// changed on the connection is unknown.
    #[doc(hidden)]
    const UNCLASSIFIED: bool = false;

    /// Where the command, as built, may run: decided by the spec (flags and
    /// the `x_connection` and `x_blocking` annotations), never by a list in the
    /// runtime.
    fn placement(&self) -> Placement {
        Placement::Shared
    }

    /// The name errors about this command carry: [`META`](Self::META)'s,
    /// except for commands named at run time.
    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed(Self::META.name)
    }
}

/// Facts about a command that the runtime decides by (routing, retries).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandMeta {
    /// Full name, `GET` or `CLIENT SETNAME`.
    pub name: &'static str,
    /// Redis arity (negative: at least that many words).
    pub arity: i64,
    /// Command flags from the spec.
    pub flags: CommandFlags,
    /// Where its keys are (empty for keyless commands and [`Raw`](crate::Raw)).
    pub key_specs: &'static [crate::KeySpec],
    /// Where a cluster sends it.
    pub request_policy: crate::RequestPolicy,
    /// How a cluster merges its replies from several nodes.
    pub response_policy: crate::ResponsePolicy,
}

/// A set of command flags from the spec.
///
/// ```
/// use redtyped::CommandFlags;
/// let f = CommandFlags::NONE.with(CommandFlags::READONLY).with(CommandFlags::FAST);
/// assert!(f.contains(CommandFlags::READONLY));
/// assert!(!f.contains(CommandFlags::WRITE));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CommandFlags(u32);

impl CommandFlags {
    /// No flags.
    pub const NONE: CommandFlags = CommandFlags(0);
    /// Only reads data.
    pub const READONLY: CommandFlags = CommandFlags(1);
    /// May modify data.
    pub const WRITE: CommandFlags = CommandFlags(1 << 1);
    /// May use more memory.
    pub const DENYOOM: CommandFlags = CommandFlags(1 << 2);
    /// Administrative.
    pub const ADMIN: CommandFlags = CommandFlags(1 << 3);
    /// Pub/sub related.
    pub const PUBSUB: CommandFlags = CommandFlags(1 << 4);
    /// Not allowed in scripts.
    pub const NOSCRIPT: CommandFlags = CommandFlags(1 << 5);
    /// May block the connection.
    pub const BLOCKING: CommandFlags = CommandFlags(1 << 6);
    /// Allowed while the database loads.
    pub const LOADING: CommandFlags = CommandFlags(1 << 7);
    /// Allowed on a stale replica.
    pub const STALE: CommandFlags = CommandFlags(1 << 8);
    /// Not shown in MONITOR.
    pub const SKIP_MONITOR: CommandFlags = CommandFlags(1 << 9);
    /// Not logged in the slow log.
    pub const SKIP_SLOWLOG: CommandFlags = CommandFlags(1 << 10);
    /// O(1) or O(log N).
    pub const FAST: CommandFlags = CommandFlags(1 << 11);
    /// Allowed before authentication.
    pub const NO_AUTH: CommandFlags = CommandFlags(1 << 12);
    /// May replicate even when read-only.
    pub const MAY_REPLICATE: CommandFlags = CommandFlags(1 << 13);
    /// Keys are optional.
    pub const NO_MANDATORY_KEYS: CommandFlags = CommandFlags(1 << 14);
    /// Not allowed inside MULTI.
    pub const NO_MULTI: CommandFlags = CommandFlags(1 << 15);
    /// Key positions depend on the arguments.
    pub const MOVABLE_KEYS: CommandFlags = CommandFlags(1 << 16);
    /// Allowed while a script is busy.
    pub const ALLOW_BUSY: CommandFlags = CommandFlags(1 << 17);
    /// Derived, not a server flag: the reply may be kept in a client-side
    /// cache (a read-only command of one key, its first argument, whose reply
    /// depends only on that key: GET, HGETALL, ZRANGE; not TTL). See
    /// [`Config::client_cache`](crate::Config::client_cache).
    ///
    /// ```
    /// use redtyped::{cmd, Command, CommandFlags};
    /// fn cacheable<C: Command>(_: &C) -> bool { C::META.flags.contains(CommandFlags::CACHEABLE) }
    /// assert!(cacheable(&cmd::get::<String>("k")));
    /// assert!(!cacheable(&cmd::ttl("k")));
    /// assert!(!cacheable(&cmd::incr("k")));
    /// ```
    pub const CACHEABLE: CommandFlags = CommandFlags(1 << 18);

    /// These flags plus `other`.
    pub const fn with(self, other: CommandFlags) -> CommandFlags {
        CommandFlags(self.0 | other.0)
    }

    /// True when every flag in `other` is set.
    pub const fn contains(self, other: CommandFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

/// Where a command may run.
///
/// ```
/// use redtyped::{cmd, Command, Placement};
/// assert_eq!(cmd::get::<String>("k").placement(), Placement::Shared);
/// assert_eq!(cmd::blpop::<String, _>(["queue"], 1.0).placement(), Placement::Pooled);
/// assert_eq!(cmd::select(2).placement(), Placement::Dedicated);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Placement {
    /// On the shared, multiplexed connection (most commands).
    Shared,
    /// The command blocks its connection but leaves no state on it (BLPOP,
    /// WAIT, XREAD … BLOCK): the client lends it a connection of its own from
    /// its [`Pool`](crate::Pool) for the time it blocks.
    Pooled,
    /// The command changes its connection's state (SELECT, SUBSCRIBE, MULTI,
    /// CLIENT REPLY): it runs only on a connection the caller holds
    /// ([`Pool::get`](crate::Pool::get)), which is discarded rather than
    /// reused when it goes back.
    Dedicated,
}

/// A target on which blocking options (XREAD's `.block()`) may be given: a
/// command value (`redtyped::cmd::*`) and the [`Client`](crate::Client), which
/// lends a pooled connection for the time the command blocks. A pipeline is
/// not one: a command that blocks would hold up every command behind it on
/// the shared connection.
///
/// ```compile_fail
/// # async fn demo(client: redtyped::Client) {
/// use redtyped::prelude::*;
/// let _ = client.pipeline().xread(["s"], ["0"]).block(100);
/// # }
/// ```
pub trait BlockingTarget {}

impl BlockingTarget for () {}

impl BlockingTarget for &crate::Client {}
