//! Reading txtar archives: a free-text preamble, then sections that start
//! with a line `-- NAME --`.

use cue_syntax::{FileId, SourceMap};

/// One section of an archive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArchiveFile {
    /// Section name, e.g. `in.cue`, `pkg/bar.cue`, `out/errors.txt`.
    pub name: String,
    /// Section text (every line keeps its newline).
    pub text: String,
}

/// A parsed txtar archive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Archive {
    /// Path relative to the vector directory, e.g. `definitions/issue320.txtar`.
    pub name: String,
    /// The preamble before the first section.
    pub comment: String,
    /// All sections in order. A section's index is its [`FileId`] in every
    /// span the runner hands out (see [`Archive::source_map`]).
    pub files: Vec<ArchiveFile>,
}

impl Archive {
    /// Splits archive text into preamble and sections.
    pub fn parse(name: &str, text: &str) -> Archive {
        let mut comment = String::new();
        let mut files: Vec<ArchiveFile> = Vec::new();
        for line in text.split_inclusive('\n') {
            let bare = line.trim_end_matches('\n').trim_end_matches('\r');
            if let Some(n) = bare.strip_prefix("-- ").and_then(|r| r.strip_suffix(" --")) {
                files.push(ArchiveFile {
                    name: n.trim().to_string(),
                    text: String::new(),
                });
            } else if let Some(f) = files.last_mut() {
                f.text.push_str(line);
            } else {
                comment.push_str(line);
            }
        }
        Archive {
            name: name.to_string(),
            comment,
            files,
        }
    }

    /// The folder (first path component) the archive is scored under.
    pub fn folder(&self) -> &str {
        self.name.split('/').next().unwrap_or(&self.name)
    }

    /// The id of the section with this name.
    pub fn file_id(&self, name: &str) -> Option<FileId> {
        self.files
            .iter()
            .position(|f| f.name == name)
            .map(|i| FileId(i as u32))
    }

    /// The top-level `.cue` files: together they form the instance that is
    /// evaluated. Files in sub-folders (`pkg/x.cue`, `cue.mod/...`) are
    /// importable packages, `out/...` are reference outputs.
    pub fn package_files(&self) -> impl Iterator<Item = (FileId, &ArchiveFile)> {
        self.files
            .iter()
            .enumerate()
            .filter(|(_, f)| f.name.ends_with(".cue") && !f.name.contains('/'))
            .map(|(i, f)| (FileId(i as u32), f))
    }

    /// A source map holding every section, with `FileId(i)` = section `i`.
    pub fn source_map(&self) -> SourceMap {
        let mut m = SourceMap::new();
        for f in &self.files {
            m.add(f.name.clone(), f.text.clone());
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_sections() {
        let a = Archive::parse(
            "x/y.txtar",
            "preamble\n-- in.cue --\na: 1\n\n-- out/errors.txt --\nerr\n-- pkg/p.cue --\n",
        );
        assert_eq!(a.comment, "preamble\n");
        assert_eq!(a.folder(), "x");
        let names: Vec<_> = a.files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["in.cue", "out/errors.txt", "pkg/p.cue"]);
        assert_eq!(a.files[0].text, "a: 1\n\n");
        assert_eq!(
            a.package_files().map(|(id, _)| id.0).collect::<Vec<_>>(),
            [0]
        );
    }
}
