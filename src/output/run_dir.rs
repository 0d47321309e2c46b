//! Writing a run directory safely: everything goes into `DIR.tmp-PID` beside the final
//! directory, which is renamed into place only when complete.
//!
//! Invariants: a reader never sees a half-written run under the final name; an existing run
//! is never overwritten (an empty directory may be replaced); a [`RunDir`] dropped without
//! [`RunDir::commit`] (an error or a panic before the run was complete) removes its temporary
//! directory, while a complete run that cannot be renamed stays under its temporary name.

use std::path::{Path, PathBuf};

pub struct RunDir {
    final_path: PathBuf,
    temporary: PathBuf,
    committed: bool,
    /// Set by [`RunDir::replacing`]: the run at `final_path` is replaced on commit.
    replaces: bool,
}

impl RunDir {
    /// Prepares to write the run directory `final_path`.
    pub fn create(final_path: &Path) -> Result<RunDir, String> {
        if final_path.exists() {
            let empty_dir = final_path.is_dir()
                && std::fs::read_dir(final_path)
                    .map(|mut entries| entries.next().is_none())
                    .unwrap_or(false);
            if !empty_dir {
                return Err(format!(
                    "`{}` already exists; choose another `--out` directory or remove it",
                    final_path.display()
                ));
            }
        }
        RunDir::at(final_path, false)
    }

    /// Prepares to write a new version of the run directory `final_path`, which exists (a
    /// resumed run): the old one stays whole until the new one is complete and takes its
    /// place in [`RunDir::commit`].
    pub fn replacing(final_path: &Path) -> Result<RunDir, String> {
        RunDir::at(final_path, true)
    }

    fn at(final_path: &Path, replaces: bool) -> Result<RunDir, String> {
        let parent = match final_path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent)
            .map_err(|e| format!("cannot create `{}`: {e}", parent.display()))?;
        let name = final_path
            .file_name()
            .ok_or_else(|| format!("`{}` is not a directory name", final_path.display()))?
            .to_string_lossy()
            .into_owned();
        let temporary = parent.join(format!("{name}.tmp-{}", std::process::id()));
        if temporary.exists() {
            // Left by an earlier process with the same id that crashed: never a finished run.
            let _ = std::fs::remove_dir_all(&temporary);
        }
        std::fs::create_dir(&temporary)
            .map_err(|e| format!("cannot create `{}`: {e}", temporary.display()))?;
        Ok(RunDir {
            final_path: final_path.to_path_buf(),
            temporary,
            committed: false,
            replaces,
        })
    }

    /// Where to write files now.
    pub fn path(&self) -> &Path {
        &self.temporary
    }

    /// Where the run will be once committed.
    pub fn final_path(&self) -> &Path {
        &self.final_path
    }

    /// Writes a file at `relative` inside the directory, creating folders as needed.
    pub fn write(
        &self,
        relative: impl AsRef<Path>,
        contents: impl AsRef<[u8]>,
    ) -> Result<(), String> {
        let path = self.temporary.join(relative.as_ref());
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create `{}`: {e}", parent.display()))?;
        }
        std::fs::write(&path, contents)
            .map_err(|e| format!("cannot write `{}`: {e}", path.display()))
    }

    /// Renames the finished directory into place. If that fails (another run took the name
    /// meanwhile, say), the finished run is kept under its temporary name and the error says
    /// where: a failure never loses work already done.
    pub fn commit(mut self) -> Result<PathBuf, String> {
        if self.replaces {
            return self.commit_replacing();
        }
        if self.final_path.is_dir() {
            // Only an empty directory gets here (checked in `create`); rename needs it gone.
            let _ = std::fs::remove_dir(&self.final_path);
        }
        if let Err(e) = std::fs::rename(&self.temporary, &self.final_path) {
            self.committed = true;
            return Err(format!(
                "cannot move the finished run from `{}` to `{}`: {e}; it is complete where it is",
                self.temporary.display(),
                self.final_path.display()
            ));
        }
        self.committed = true;
        Ok(self.final_path.clone())
    }
}

impl RunDir {
    /// Moves the old run aside, the new one into its place, then deletes the old one. Each
    /// rename is atomic; if the second fails the old run is moved back, and the new one is
    /// kept under its temporary name.
    fn commit_replacing(mut self) -> Result<PathBuf, String> {
        self.committed = true;
        let mut aside = self.temporary.clone().into_os_string();
        aside.push(".old");
        let aside = PathBuf::from(aside);
        std::fs::rename(&self.final_path, &aside).map_err(|e| {
            format!(
                "cannot move `{}` aside to replace it: {e}; the new run is complete in `{}`",
                self.final_path.display(),
                self.temporary.display()
            )
        })?;
        if let Err(e) = std::fs::rename(&self.temporary, &self.final_path) {
            let _ = std::fs::rename(&aside, &self.final_path);
            return Err(format!(
                "cannot move the new run from `{}` to `{}`: {e}; it is complete where it is",
                self.temporary.display(),
                self.final_path.display()
            ));
        }
        let _ = std::fs::remove_dir_all(&aside);
        Ok(self.final_path.clone())
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.temporary);
        }
    }
}

/// `runs/<scenario>-<UTC timestamp>`, with `-2`, `-3`... if that exists already.
pub fn default_path(scenario: &str) -> PathBuf {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let base = PathBuf::from("runs").join(format!("{scenario}-{stamp}"));
    let mut candidate = base.clone();
    let mut counter = 2;
    while candidate.exists() {
        candidate = PathBuf::from(format!("{}-{counter}", base.display()));
        counter += 1;
    }
    candidate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_appears_until_commit() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("run");
        let run = RunDir::create(&target).unwrap();
        run.write("traces/x.csv", "a\n").unwrap();
        assert!(!target.exists());
        let written = run.commit().unwrap();
        assert_eq!(written, target);
        assert_eq!(
            std::fs::read_to_string(target.join("traces/x.csv")).unwrap(),
            "a\n"
        );
        let leftovers: Vec<_> = std::fs::read_dir(root.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "the temporary directory is gone");
    }

    #[test]
    fn an_abandoned_run_leaves_nothing() {
        let root = tempfile::tempdir().unwrap();
        let run = RunDir::create(&root.path().join("run")).unwrap();
        run.write("summary.json", "{").unwrap();
        drop(run);
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_finished_run_that_cannot_take_its_name_is_kept() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("run");
        let run = RunDir::create(&target).unwrap();
        run.write("summary.json", "{}").unwrap();
        let temporary = run.path().to_path_buf();
        // Another process finishes a run under the same name first.
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("summary.json"), "theirs").unwrap();
        let message = run.commit().unwrap_err();
        assert!(message.contains("it is complete where it is"), "{message}");
        assert_eq!(
            std::fs::read_to_string(temporary.join("summary.json")).unwrap(),
            "{}"
        );
        assert_eq!(
            std::fs::read_to_string(target.join("summary.json")).unwrap(),
            "theirs"
        );
    }

    #[test]
    fn an_existing_run_is_not_overwritten_but_an_empty_directory_is_filled() {
        let root = tempfile::tempdir().unwrap();
        let full = root.path().join("full");
        std::fs::create_dir(&full).unwrap();
        std::fs::write(full.join("summary.json"), "{}").unwrap();
        let message = RunDir::create(&full).err().unwrap();
        assert!(message.contains("already exists"), "{message}");

        let empty = root.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        let run = RunDir::create(&empty).unwrap();
        run.write("summary.json", "{}").unwrap();
        run.commit().unwrap();
        assert!(empty.join("summary.json").exists());
    }
}
