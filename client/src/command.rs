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

    /// True when the command, as built, needs a connection of its own: it
    /// blocks (BLPOP, XREAD … BLOCK) or changes the connection's state
    /// (SUBSCRIBE, MULTI). Decided by the spec (flags and `x_connection`,
    /// `x_blocking` annotations); the shared client refuses such commands.
    fn dedicated(&self) -> bool {
        false
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

/// A target on which blocking options may be given: detached command values
/// (`redtyped::cmd::*`, which a dedicated connection runs). The shared
/// [`Client`](crate::Client) is not one, so `client.xread(…).block(100)` does
/// not compile.
pub trait DedicatedTarget {}

impl DedicatedTarget for () {}
