//! The command spec (`commands.json`) as Rust data.
//!
//! The format is documented in the crate's README. Field order here is the
//! order fields are written in, so `refresh` output stays stable.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The whole spec: every command, keyed by its full upper-case name
/// (`"GET"`, `"CLIENT SETNAME"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Commands and subcommands, sorted by name.
    pub commands: BTreeMap<String, Command>,
    /// Our annotation: named record types that reply types refer to.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub x_records: BTreeMap<String, Record>,
}

/// A named record type a reply decodes into (`StreamEntry`, `ClientInfo`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// How the record is laid out in the reply.
    pub form: RecordForm,
    /// One sentence of our own saying what the record is.
    pub doc: String,
    /// The fields, in order.
    pub fields: Vec<RecordField>,
}

/// How a record is laid out in a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecordForm {
    /// An array, one item per field in order; an optional field is present
    /// when the next item has its kind (GEOSEARCH's WITHDIST/WITHHASH/WITHCOORD).
    Array,
    /// A map (or RESP2 flat array) keyed by field name; unknown keys are skipped.
    Map,
    /// A text line of `key=value` words (CLIENT LIST).
    Kv,
    /// A text line of space-separated words, in field order (CLUSTER NODES).
    Words,
}

/// One field of a record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordField {
    /// The Rust field name.
    pub name: String,
    /// Its type, in the reply vocabulary.
    pub reply: String,
    /// The key in the reply, when it differs from `name` (map and kv forms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// May be absent: `None` when missing (map, kv), or when the next item is of another kind (array).
    #[serde(default, skip_serializing_if = "is_false")]
    pub optional: bool,
    /// Words and array forms: the last field takes every remaining word or item (an `array<…>`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub rest: bool,
}

/// One command or subcommand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Command {
    /// For a subcommand, the container command (`"CLIENT"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// `string`, `hash`, `sorted-set`, …
    pub group: String,
    /// First server version with this command.
    pub since: String,
    /// The big-O line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complexity: Option<String>,
    /// `deprecated`, `syscmd`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub doc_flags: Vec<String>,
    /// The version that deprecated this command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecated_since: Option<String>,
    /// What replaces a deprecated command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<String>,
    /// Redis arity: positive is exact, negative is a minimum (the name counts).
    pub arity: i64,
    /// Command flags (`readonly`, `write`, `blocking`, …).
    #[serde(default)]
    pub flags: Vec<String>,
    /// ACL categories without the `@`.
    #[serde(default)]
    pub acl_categories: Vec<String>,
    /// Command tips (`request_policy:all_shards`, `nondeterministic_output`, …).
    #[serde(default)]
    pub tips: Vec<String>,
    /// How to find the keys among the arguments.
    #[serde(default)]
    pub key_specs: Vec<KeySpec>,
    /// The argument tree.
    #[serde(default)]
    pub arguments: Vec<Argument>,
    /// Our annotation: arguments the server's docs leave out (DEBUG and COMMAND
    /// GETKEYS publish none), generated after the server's own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub x_arguments: Vec<Argument>,
    /// Our annotation: the reply type when no variant applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x_reply: Option<String>,
    /// Our annotation: arguments that change the reply type.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub x_reply_variants: Vec<ReplyVariant>,
    /// Our annotation: where the command may run. Absent: on the shared client,
    /// or on a pooled connection when the server flags it `blocking`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x_connection: Option<ConnectionUse>,
    /// Our annotation: for a dedicated command, why, and which API serves it
    /// (shown in its docs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x_connection_note: Option<String>,
}

/// Where a command may run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConnectionUse {
    /// On the shared, multiplexed client (overrides the `blocking` flag when only
    /// an argument marked `x_blocking` makes the command block, like XREAD BLOCK).
    Shared,
    /// On a connection the client lends from its pool for the command's time:
    /// the command blocks its connection but leaves no state on it (BLPOP, WAIT).
    Pooled,
    /// Only on a connection the caller holds: it changes the connection's state
    /// (SELECT, SUBSCRIBE, MULTI).
    Dedicated,
}

/// A reply that applies when an argument is given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyVariant {
    /// The argument's name; any member of a `oneof` triggers the `oneof`'s variant.
    pub when: String,
    /// The reply type in the vocabulary.
    pub reply: String,
}

/// A key spec as served by `COMMAND INFO`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySpec {
    /// `RW`, `RO`, `OW`, `RM`, `access`, `update`, `insert`, `delete`, …
    #[serde(default)]
    pub flags: Vec<String>,
    /// Where the search for keys begins.
    pub begin_search: Search,
    /// How keys are found from there.
    pub find_keys: Search,
}

/// A `begin_search` or `find_keys` clause: its type and the type's parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Search {
    /// `index`, `keyword`, `range`, `keynum` or `unknown`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The parameters (`index`, `keyword`/`startfrom`, `lastkey`/`keystep`/`limit`, …).
    #[serde(default)]
    pub spec: BTreeMap<String, serde_json::Value>,
}

/// The kind of an argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ArgKind {
    /// A key name.
    Key,
    /// Any string.
    String,
    /// A signed integer.
    Integer,
    /// A floating-point number.
    Double,
    /// A Unix time (seconds or milliseconds).
    UnixTime,
    /// A glob-style pattern.
    Pattern,
    /// A fixed token with no value.
    PureToken,
    /// Exactly one of the children.
    Oneof,
    /// All of the children, in order.
    Block,
}

/// One node of a command's argument tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Argument {
    /// The server's name for the argument.
    pub name: String,
    /// What kind of value it takes.
    #[serde(rename = "type")]
    pub kind: ArgKind,
    /// A literal written before the value, or the whole argument for a pure token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// For keys: the key spec describing it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_spec_index: Option<u32>,
    /// First server version with this argument.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// The version that deprecated this argument.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecated_since: Option<String>,
    /// May be left out.
    #[serde(default, skip_serializing_if = "is_false")]
    pub optional: bool,
    /// May be repeated.
    #[serde(default, skip_serializing_if = "is_false")]
    pub multiple: bool,
    /// When repeated, the token is repeated too.
    #[serde(default, skip_serializing_if = "is_false")]
    pub multiple_token: bool,
    /// Children of a `oneof` or `block`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arguments: Vec<Argument>,
    /// Our annotation: the Rust name of this argument's method or parameter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x_name: Option<String>,
    /// Our annotation: the kind the Rust parameter takes when the server's is too
    /// narrow (ZCOUNT's `min` is documented `double` but takes `(1` and `-inf`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x_type: Option<ArgKind>,
    /// Our annotation: giving this argument makes the command block its
    /// connection (XREAD's BLOCK): its method is not offered on the shared client.
    #[serde(default, skip_serializing_if = "is_false")]
    pub x_blocking: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Spec {
    /// Parses a spec from JSON text.
    ///
    /// ```
    /// let spec = redtyped_codegen::Spec::from_json(r#"{"commands":{}}"#).unwrap();
    /// assert!(spec.commands.is_empty());
    /// ```
    pub fn from_json(text: &str) -> Result<Spec, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// Writes the spec as JSON in the canonical layout (2-space indent, trailing newline).
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("spec serializes");
        text.push('\n');
        text
    }
}

impl Command {
    /// True when the command has this flag (`"readonly"`, `"blocking"`, …).
    pub fn has_flag(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }

    /// The arguments the generator uses: the server's, then `x_arguments`.
    pub fn all_arguments(&self) -> Vec<Argument> {
        self.arguments
            .iter()
            .chain(&self.x_arguments)
            .cloned()
            .collect()
    }

    /// True when a client may keep the command's reply in a local cache that
    /// the server's tracking invalidates (`CLIENT TRACKING`): it only reads
    /// (`readonly`, not `blocking`), its one key is the first argument (so an
    /// invalidation of that key covers it; subcommands and movable keys are
    /// out), and its reply depends on nothing but the key's value (no
    /// `nondeterministic_output` tip, which excludes TTL, PTTL and
    /// SRANDMEMBER; `nondeterministic_output_order` is fine). Redis 7.0 has no
    /// flag for this, so it is derived from the facts it does publish.
    pub fn is_cacheable(&self, name: &str) -> bool {
        let [spec] = self.key_specs.as_slice() else {
            return false;
        };
        let first_key = spec.begin_search.kind == "index"
            && spec.begin_search.spec.get("index").and_then(|v| v.as_i64()) == Some(1)
            && spec.find_keys.kind == "range"
            && spec.find_keys.spec.get("lastkey").and_then(|v| v.as_i64()) == Some(0);
        self.has_flag("readonly")
            && !self.has_flag("blocking")
            && !self.has_flag("movablekeys")
            && !name.contains(' ')
            && !self.tips.iter().any(|t| t == "nondeterministic_output")
            && first_key
    }

    /// Where the command runs: the annotation, else the `blocking` flag.
    pub fn placement(&self) -> ConnectionUse {
        match self.x_connection {
            Some(placement) => placement,
            None if self.has_flag("blocking") => ConnectionUse::Pooled,
            None => ConnectionUse::Shared,
        }
    }

    /// True when the command may only run on a connection the caller holds.
    pub fn is_dedicated(&self) -> bool {
        self.placement() == ConnectionUse::Dedicated
    }
}
