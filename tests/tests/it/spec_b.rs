//! Reply types of the spec's commands, part B, against a live server under RESP2 and RESP3.
