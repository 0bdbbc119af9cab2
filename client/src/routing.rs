//! Where a command's keys are and how a cluster spreads and merges it: the
//! spec's key specs and tips, as data the runtime routes by.

/// One way to find keys among a command's arguments (the server's key specs,
/// from `COMMAND INFO`): where the search begins, then which words are keys.
/// Positions count the command's name (and subcommand) as words 0 (and 1).
///
/// ```
/// use redtyped::{BeginSearch, Command, FindKeys, cmd};
/// let spec = &<redtyped::cmd::Mset<'_, redtyped::shape::Okay, Vec<(String, String)>> as Command>::META.key_specs[0];
/// assert_eq!(spec.begin, BeginSearch::Index(1));
/// assert_eq!(spec.find, FindKeys::Range { last_key: -1, key_step: 2, limit: 0 });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySpec {
    /// Where the search for keys begins.
    pub begin: BeginSearch,
    /// How keys are found from there.
    pub find: FindKeys,
}

/// Where the search for keys begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BeginSearch {
    /// At this word.
    Index(i32),
    /// After this keyword, searched from word `start_from` (negative: from the
    /// end, backwards).
    Keyword {
        /// The keyword (`STREAMS`, `KEYS`).
        keyword: &'static str,
        /// Where to start looking for it.
        start_from: i32,
    },
    /// The server cannot say (SORT's BY and GET patterns).
    Unknown,
}

/// How keys are found once the search began.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindKeys {
    /// Keys every `key_step` words up to `last_key` (relative to the begin;
    /// negative counts from the end, -1 the last word); when `limit` > 1 the
    /// range stops at 1/`limit` of the remaining words (XREAD's STREAMS).
    Range {
        /// The last key, relative to the begin.
        last_key: i32,
        /// Words from one key to the next.
        key_step: i32,
        /// Divides the remaining words (0 or 1: no limit).
        limit: i32,
    },
    /// The number of keys is the word at `keynum_index` (relative to the
    /// begin); the first key is `first_key` words after the begin.
    Keynum {
        /// Where the count is.
        keynum_index: i32,
        /// Where the first key is.
        first_key: i32,
        /// Words from one key to the next.
        key_step: i32,
    },
    /// The server cannot say.
    Unknown,
}

/// Where a cluster sends a command (the `request_policy` tip).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestPolicy {
    /// To the shard of its keys (all in one slot), or to any node when it has none.
    Default,
    /// To every master (DBSIZE, FLUSHALL, SCRIPT KILL…).
    AllShards,
    /// To every node, replicas included (SCRIPT LOAD, CONFIG SET…).
    AllNodes,
    /// Split by slot, each part to its shard (MGET, MSET, DEL…).
    MultiShard,
    /// Needs handling of its own (SCAN): sent to one node.
    Special,
}

/// How a cluster merges the replies of a command sent to several nodes (the
/// `response_policy` tip).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResponsePolicy {
    /// Arrays joined (keys in request order for a split command); otherwise
    /// every reply must agree, and the first is returned.
    Default,
    /// Succeeds when any node succeeded.
    OneSucceeded,
    /// Succeeds when every node succeeded; the first reply.
    AllSucceeded,
    /// The logical AND of integer replies.
    AggLogicalAnd,
    /// The logical OR of integer replies.
    AggLogicalOr,
    /// The smallest integer reply.
    AggMin,
    /// The largest integer reply.
    AggMax,
    /// The sum of integer replies.
    AggSum,
    /// Needs handling of its own: the replies as an array.
    Special,
}
