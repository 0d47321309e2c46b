//! Outputs: the run directory (summary, manifest, raw replication values, scenario copies,
//! CSV traces), the console tables, and the other sinks. With `cli`, the only places that do
//! I/O.
//!
//! A run directory (LANGUAGE.md section 7, a contract) holds:
//! - `summary.json`: per sweep point, mean, confidence half-width and count of every metric
//!   ([`summary`]).
//! - `replications.jsonl`: every replication's raw metric values, one JSON object a line, in
//!   work-list order ([`records`]). The summary is computed from these records, by the same
//!   code, in a run and in `pipesim merge`, which is why a merged run's summary is the
//!   unsharded run's, byte for byte.
//! - `manifest.json`: how the run was made ([`manifest`]).
//! - `scenario/`: the files that were run ([`manifest::copy_sources`]).
//! - `traces/`: CSV event traces ([`traces`]).
//!
//! Invariant: a run directory is written under a temporary name beside its final one and
//! renamed into place when complete ([`run_dir::RunDir`]), so a crash or an error never leaves
//! a half-written run where a reader looks for one.

pub mod csv_line;
pub mod influx;
pub mod manifest;
pub mod records;
pub mod report;
pub mod run_dir;
pub mod summary;
pub mod table;
pub mod traces;

/// Writes `value` as pretty JSON with a final newline. NaN and infinities are `null`
/// (serde_json's own rule); keys keep their insertion order.
pub fn json_text(value: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_else(|_| "null".to_string());
    text.push('\n');
    text
}

/// Reads and parses a JSON file, with the file named in the error.
pub fn read_json(path: &std::path::Path) -> Result<serde_json::Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("`{}` is not valid JSON: {e}", path.display()))
}

/// Writes `bytes` to a temporary file beside `path`, then renames it into place, so a reader
/// never sees half a file and a failure leaves any previous version whole. An existing file
/// keeps its permissions; a new one gets the ordinary 0666 minus the umask (a temporary file
/// alone would be private, 0600, which is wrong for a report or a module meant to be shared).
pub fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => std::path::Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".pipesim-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut temporary = builder.tempfile_in(directory).map_err(|e| {
        // Not "No such file ... at path DIR/.pipesim-XXXX.tmp", a name the user never gave.
        if e.kind() == std::io::ErrorKind::NotFound && !directory.is_dir() {
            std::io::Error::new(
                e.kind(),
                format!("the folder `{}` does not exist", directory.display()),
            )
        } else {
            e
        }
    })?;
    temporary.write_all(bytes)?;
    temporary.as_file().sync_all()?;
    if let Ok(metadata) = std::fs::metadata(path) {
        temporary
            .as_file()
            .set_permissions(metadata.permissions())?;
    }
    temporary.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    /// A write into a folder that does not exist names the folder, not the temporary file.
    #[test]
    fn writing_into_a_missing_folder_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing/report.html");
        let error = super::write_atomically(&path, b"x").unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("missing` does not exist") && !message.contains(".pipesim-"),
            "{message}"
        );
        super::write_atomically(&dir.path().join("report.html"), b"x").unwrap();
        assert_eq!(std::fs::read(dir.path().join("report.html")).unwrap(), b"x");
    }
}
