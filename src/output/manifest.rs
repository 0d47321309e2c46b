//! `manifest.json`: how a run was made (command line, version, seed, input files with their
//! SHA-256, wall time, shard), and the experiment's layout (points, replications, confidence)
//! that `pipesim merge` and `pipesim compare` need. Also the `scenario/` copies of the files
//! that were run.
//!
//! Invariant: the copies and hashes are of the text that was parsed (held by the
//! [`SourceMap`]), not of whatever is on disk later.

use super::run_dir::RunDir;
use crate::experiment::Params;
use crate::source::{FileId, Origin, SourceMap};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Component, Path, PathBuf};

pub const FILE_NAME: &str = "manifest.json";

/// A file the scenario was made of.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Input {
    /// As diagnostics name it (the path the user gave, or `std/aiops`).
    pub file: String,
    /// Its copy inside the run directory, e.g. `scenario/growth.pipesim`.
    pub copy: String,
    /// SHA-256 of its text, lower-case hex.
    pub sha256: String,
}

/// Which slice of the work list a shard ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardInfo {
    /// K of `--shard K/N`, from 1.
    pub index: usize,
    /// N.
    pub count: usize,
    /// Its work-list positions: `[first_item, end_item)`.
    pub first_item: usize,
    pub end_item: usize,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub pipesim: String,
    /// The command line, as given.
    pub command: Vec<String>,
    pub scenario: String,
    pub seed: u64,
    pub confidence: f64,
    /// Replications per point.
    pub replications: u32,
    /// Every sweep point's params, in sweep order (also those a shard did not run).
    pub points: Vec<Params>,
    /// The `--set PATH=VALUE` texts the scenario was run with (`--seed N` appears as
    /// `scenario.seed=N`).
    #[serde(default)]
    pub overrides: Vec<String>,
    /// The experiment's chosen metrics (the console table's first columns).
    #[serde(default)]
    pub metrics: Vec<String>,
    /// `first`, `all` or `none`.
    pub trace: String,
    /// Points × replications of the whole experiment.
    pub work_items: usize,
    /// Set when this directory holds one shard of a run.
    pub shard: Option<ShardInfo>,
    /// The copy of the entry file.
    pub entry: String,
    pub inputs: Vec<Input>,
    /// The shard directories a merged run was joined from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<String>,
    /// When the run started (UTC, RFC 3339).
    pub started_utc: String,
    /// Seconds from start to finish.
    pub wall_seconds: f64,
    /// Worker threads used.
    pub jobs: usize,
}

impl Manifest {
    pub fn to_text(&self) -> String {
        let value = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        super::json_text(&value)
    }

    pub fn read(run_dir: &Path) -> Result<Manifest, String> {
        let path = run_dir.join(FILE_NAME);
        if !path.exists() {
            return Err(format!(
                "`{}` has no `{FILE_NAME}`; is it a run directory written by `pipesim run`?",
                run_dir.display()
            ));
        }
        let value = super::read_json(&path)?;
        serde_json::from_value(value)
            .map_err(|e| format!("`{}` is not a pipesim manifest: {e}", path.display()))
    }
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Copies every file of the scenario into `scenario/` of the run directory: files from disk
/// keep their paths relative to the deepest folder that holds them all (so relative imports
/// still resolve and `pipesim run scenario/ENTRY` repeats the run); standard-library modules
/// go to `scenario/std/NAME.pipesim`, for reference (the binary embeds them). Returns the
/// entry's copy and every input, entry first.
pub fn copy_sources(
    sources: &SourceMap,
    entry: FileId,
    run: &RunDir,
) -> Result<(String, Vec<Input>), String> {
    let disk: Vec<&Path> = sources
        .files()
        .filter_map(|(_, f)| match &f.origin {
            Origin::Disk { canonical, .. } => Some(canonical.as_path()),
            _ => None,
        })
        .collect();
    let base = common_folder(&disk);
    let mut entry_copy = String::new();
    let mut inputs = Vec::new();
    let mut files: Vec<(FileId, &crate::source::SourceFile)> = sources.files().collect();
    // Entry first, then the order the loader met the files in.
    files.sort_by_key(|(id, _)| *id != entry);
    for (id, file) in files {
        let relative = match &file.origin {
            Origin::Disk { canonical, .. } => match &base {
                Some(base) => canonical
                    .strip_prefix(base)
                    .unwrap_or(canonical)
                    .to_path_buf(),
                None => PathBuf::from(canonical.file_name().unwrap_or_default()),
            },
            Origin::Stdlib(import) => PathBuf::from(format!("{import}.pipesim")),
            Origin::Inline => continue,
        };
        let copy = format!("scenario/{}", slash_path(&relative));
        run.write(&copy, file.text.as_bytes())?;
        if id == entry {
            entry_copy = copy.clone();
        }
        inputs.push(Input {
            file: file.name.clone(),
            copy,
            sha256: sha256_hex(file.text.as_bytes()),
        });
    }
    Ok((entry_copy, inputs))
}

/// The deepest folder containing every path (paths are canonical, so absolute).
fn common_folder(paths: &[&Path]) -> Option<PathBuf> {
    let mut common: Option<PathBuf> = None;
    for path in paths {
        let folder = path.parent()?.to_path_buf();
        common = Some(match common {
            None => folder,
            Some(current) => {
                let shared: PathBuf = current
                    .components()
                    .zip(folder.components())
                    .take_while(|(a, b)| a == b)
                    .map(|(a, _)| a)
                    .collect();
                shared
            }
        });
    }
    common
}

/// A relative path with `/` separators, whatever the platform.
fn slash_path(path: &Path) -> String {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_a_known_text() {
        // printf 'abc' | sha256sum
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn copies_keep_relative_layout_and_put_the_stdlib_under_std() {
        let root = tempfile::tempdir().unwrap();
        let mut sources = SourceMap::new();
        let disk = |p: &str| Origin::Disk {
            shown: PathBuf::from(p),
            canonical: PathBuf::from(format!("/home/u/project/{p}")),
        };
        let entry = sources.add(
            "scenarios/main.pipesim",
            disk("scenarios/main.pipesim"),
            "main".into(),
        );
        sources.add(
            "lib/common.pipesim",
            disk("lib/common.pipesim"),
            "lib".into(),
        );
        sources.add(
            "std/aiops",
            Origin::Stdlib("std/aiops".into()),
            "std".into(),
        );
        sources.add("--set x=1", Origin::Inline, "x=1".into());
        let run = RunDir::create(&root.path().join("run")).unwrap();
        let (entry_copy, inputs) = copy_sources(&sources, entry, &run).unwrap();
        assert_eq!(entry_copy, "scenario/scenarios/main.pipesim");
        let copies: Vec<_> = inputs.iter().map(|i| i.copy.as_str()).collect();
        assert_eq!(
            copies,
            [
                "scenario/scenarios/main.pipesim",
                "scenario/lib/common.pipesim",
                "scenario/std/aiops.pipesim"
            ]
        );
        let path = run.path().join("scenario/lib/common.pipesim");
        assert_eq!(std::fs::read_to_string(path).unwrap(), "lib");
        assert_eq!(inputs[2].sha256, sha256_hex(b"std"));
    }
}
