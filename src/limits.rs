//! The bounds hindsight puts on one post-mortem, so that a runaway file
//! becomes a finding instead of exhausting memory or the stack. Each is far
//! above what a written post-mortem needs.

/// The largest post-mortem file read: 8 MiB, some two hundred times the
/// longest post-mortems seen in practice.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// The deepest nesting of front-matter values (lists in maps in lists …)
/// and of Markdown block quotes and lists.
pub const MAX_NESTING: usize = 32;

/// The most front-matter values, counting each use of a YAML alias as a
/// copy of what it names (aliases of aliases multiply: the "billion laughs").
pub const MAX_FRONT_MATTER_VALUES: usize = 10_000;
