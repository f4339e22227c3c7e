//! Errors: loading dumps (file and JSON path) and parsing queries.

use std::path::PathBuf;

/// A dump could not be loaded. Every variant names the file; content errors also name the
/// JSON path (`$.SecurityGroups[3].IpPermissions[0].FromPort`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DumpError {
    /// The file or directory could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid JSON.
    #[error("{}: malformed JSON: {source}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// The parser error (it carries line and column).
        #[source]
        source: serde_json::Error,
    },
    /// A value has the wrong type or an impossible value.
    #[error("{}: {json_path}: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Where in the document, e.g. `$.NetworkAcls[0].Entries[2].PortRange.From`.
        json_path: String,
        /// What is wrong.
        message: String,
    },
    /// The JSON is not the output of any `describe-*` call we read.
    #[error("{}: not a recognised AWS CLI describe-* output (top-level keys: {keys})", path.display())]
    Unrecognised {
        /// The file.
        path: PathBuf,
        /// The top-level keys found.
        keys: String,
    },
    /// No dump file was found under the given paths.
    #[error("{}: no AWS CLI JSON files found", path.display())]
    NoFiles {
        /// The first path given.
        path: PathBuf,
    },
}

/// A query such as `tcp 10.0.1.5:43512 -> 10.0.2.7:22` could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad query {input:?}: {message}")]
#[non_exhaustive]
pub struct ParseQueryError {
    /// The text given.
    pub input: String,
    /// What is wrong.
    pub message: String,
}

/// A `reach` target (`eni-…`, an IP address or `sg-…`) matches nothing in the dump.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("reach target {target:?} matches no network interface in the dump")]
#[non_exhaustive]
pub struct UnknownTargetError {
    /// The target given.
    pub target: String,
}
