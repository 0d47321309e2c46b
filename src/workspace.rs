//! The `.pipesim` files under a folder: what `check DIR` and `fmt DIR` read, and where the
//! language server looks for a module's importers and for workspace symbols. Also the file a
//! path that names nothing was likely meant to name.

use std::path::{Path, PathBuf};

/// How far a walk goes: folders deep, and files found. A language server opened at a home
/// directory must not stall the editor; the command line is given folders on purpose.
#[derive(Clone, Copy, Debug)]
pub struct Bounds {
    pub depth: usize,
    pub files: usize,
}

/// For the language server, which walks on every find references or rename of a module's name.
pub const EDITOR: Bounds = Bounds {
    depth: 8,
    files: 2000,
};

/// For the command line: deep enough for any repository. Symbolic links to folders are not
/// followed, so there is no cycle to bound.
pub const COMMAND_LINE: Bounds = Bounds {
    depth: 64,
    files: usize::MAX,
};

/// The `.pipesim` files under `root`, sorted, skipping hidden folders (`.git`), `target`,
/// `node_modules` and the run directories `pipesim run` writes (their `scenario/` holds
/// copies of the inputs, which `resume` checks by hash: not files to check or mend).
pub fn pipesim_files(root: &Path, bounds: Bounds) -> Vec<PathBuf> {
    let mut files = Vec::new();
    walk(root, 0, bounds, &mut files);
    files.sort();
    files
}

fn walk(dir: &Path, depth: usize, bounds: Bounds, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        if files.len() >= bounds.files {
            return;
        }
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            let skip = name.starts_with('.')
                || name == "target"
                || name == "node_modules"
                || is_run_directory(&entry.path());
            if !skip && depth < bounds.depth {
                walk(&entry.path(), depth + 1, bounds, files);
            }
        } else if name.ends_with(".pipesim") {
            files.push(entry.path());
        }
    }
}

/// A folder `pipesim run` wrote: its manifest beside the copies of the scenario.
fn is_run_directory(dir: &Path) -> bool {
    dir.join("manifest.json").is_file() && dir.join("scenario").is_dir()
}

/// The command line's file arguments, each folder replaced by the `.pipesim` files under it
/// (`pipesim check scenarios/`, named as diagnostics name them: `.` gives `a.pipesim`, not
/// `./a.pipesim`); files and `-` stay as given. A file named twice, or also found in a named
/// folder, comes once. A folder without any is an error, which names it.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let found = pipesim_files(path, COMMAND_LINE);
            if found.is_empty() {
                return Err(format!(
                    "no `.pipesim` file under `{}` (hidden folders, `target`, `node_modules` and run directories are skipped)",
                    path.display()
                ));
            }
            out.extend(found.into_iter().map(|file| match file.strip_prefix(".") {
                Ok(inside) => inside.to_path_buf(),
                Err(_) => file,
            }));
        } else {
            out.push(path.clone());
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|file| seen.insert(std::fs::canonicalize(file).unwrap_or_else(|_| file.clone())));
    Ok(out)
}

/// The path, relative to `base` as `relative` is, of the existing file that `relative` names
/// with each missing part one slip from an entry of its folder (`data/phill/job.csv` for
/// `data/philly/jobs.csv`); `None` where some part has no such entry.
pub fn nearest_file(base: &Path, relative: &str) -> Option<String> {
    let mut folder = base.to_path_buf();
    let mut parts: Vec<String> = Vec::new();
    let mut changed = false;
    for part in relative.split('/') {
        if part.is_empty() || part == "." || part == ".." || folder.join(part).exists() {
            folder.push(part);
            parts.push(part.to_string());
            continue;
        }
        let listed = if folder.as_os_str().is_empty() {
            Path::new(".")
        } else {
            folder.as_path()
        };
        let entries: Vec<String> = std::fs::read_dir(listed)
            .ok()?
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .collect();
        let meant = crate::diagnostic::suggest(part, entries.iter().map(String::as_str))?;
        folder.push(meant);
        parts.push(meant.to_string());
        changed = true;
    }
    (changed && folder.is_file()).then(|| parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `check .` in a project listed the copies inside each run directory beside the
    /// project's files (and `check --fix .` would have edited them).
    #[test]
    fn run_directories_are_not_walked() {
        let dir = tempfile::tempdir().unwrap();
        let write = |relative: &str| {
            let path = dir.path().join(relative);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "").unwrap();
        };
        write("s.pipesim");
        write("runs/s-1/manifest.json");
        write("runs/s-1/scenario/s.pipesim");
        write("runs/notes/kept.pipesim");
        let found = pipesim_files(dir.path(), COMMAND_LINE);
        let relative: Vec<PathBuf> = found
            .iter()
            .map(|f| f.strip_prefix(dir.path()).unwrap().to_path_buf())
            .collect();
        assert_eq!(
            relative,
            [
                PathBuf::from("runs/notes/kept.pipesim"),
                PathBuf::from("s.pipesim")
            ]
        );
    }

    #[test]
    fn the_nearest_file_corrects_each_missing_part_by_one_slip() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("data/philly")).unwrap();
        std::fs::write(dir.path().join("data/philly/jobs.csv"), "a\n1\n").unwrap();
        let nearest = |relative: &str| nearest_file(dir.path(), relative);
        assert_eq!(
            nearest("data/phill/job.csv").as_deref(),
            Some("data/philly/jobs.csv")
        );
        assert_eq!(
            nearest("data/philly/jobs.csv"),
            None,
            "it exists: nothing to correct"
        );
        assert_eq!(
            nearest("data/philly/trace.csv"),
            None,
            "no entry one slip away"
        );
        assert_eq!(nearest("data/phily"), None, "a folder is not a file");
    }

    #[test]
    fn a_folder_gives_its_scenarios_in_order_and_skips_hidden_and_build_folders() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for folder in ["b", "a/deep", ".git", "target", "node_modules", "empty"] {
            std::fs::create_dir_all(root.join(folder)).unwrap();
        }
        for file in [
            "z.pipesim",
            "b/y.pipesim",
            "a/deep/x.pipesim",
            "a/notes.txt",
            ".git/hidden.pipesim",
            "target/built.pipesim",
            "node_modules/dep.pipesim",
        ] {
            std::fs::write(root.join(file), "").unwrap();
        }
        let found: Vec<String> = pipesim_files(root, COMMAND_LINE)
            .iter()
            .map(|p| p.strip_prefix(root).unwrap().display().to_string())
            .collect();
        assert_eq!(found, ["a/deep/x.pipesim", "b/y.pipesim", "z.pipesim"]);
        let shallow = Bounds {
            depth: 0,
            files: 10,
        };
        assert_eq!(pipesim_files(root, shallow).len(), 1);
        let few = Bounds { depth: 8, files: 2 };
        assert_eq!(pipesim_files(root, few).len(), 2);

        let expanded = expand(&[root.join("b"), root.join("z.pipesim")]).unwrap();
        assert_eq!(expanded, [root.join("b/y.pipesim"), root.join("z.pipesim")]);
        // A folder named outright is read, even one the walk would skip below it.
        assert_eq!(expand(&[root.join("target")]).unwrap().len(), 1);
        let empty = expand(&[root.join("empty")]).unwrap_err();
        assert!(empty.contains("no `.pipesim` file under"), "{empty}");
    }
}
