//! Source positions: files, byte offsets, lines and columns.

use std::fmt;

/// Identifies one source file inside a [`SourceMap`] (index into it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A position in a source file.
///
/// `line` and `column` are 1-based; `column` counts bytes like the reference
/// implementation does (a tab is one column). A default `Pos` (line 0) means
/// "no position".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pos {
    /// Byte offset from the start of the file.
    pub offset: u32,
    /// 1-based line number.
    pub line: u32,
    /// 1-based column, in bytes.
    pub column: u32,
}

impl Pos {
    /// Whether this position points into a file (line 0 means "unknown").
    pub fn is_valid(&self) -> bool {
        self.line > 0
    }
}

/// A half-open source range `[start, end)` in one file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    /// The file the range is in.
    pub file: FileId,
    /// First byte of the range.
    pub start: Pos,
    /// One past the last byte of the range.
    pub end: Pos,
}

impl Span {
    /// A span from the start of `self` to the end of `other` (same file).
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start,
            end: other.end,
        }
    }

    /// Whether the span points into a file.
    pub fn is_valid(&self) -> bool {
        self.start.is_valid()
    }
}

/// One file of a [`SourceMap`].
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// The name errors use, e.g. `in.cue` or `pkg/bar.cue`.
    pub name: String,
    /// The full text.
    pub text: String,
    /// Byte offset of the start of every line.
    line_starts: Vec<u32>,
}

impl SourceFile {
    fn new(name: String, text: String) -> Self {
        let mut line_starts = vec![0];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(i as u32 + 1);
            }
        }
        SourceFile {
            name,
            text,
            line_starts,
        }
    }

    /// The position of a byte offset (clamped to the end of the text).
    pub fn pos(&self, offset: u32) -> Pos {
        let offset = offset.min(self.text.len() as u32);
        let line = self.line_starts.partition_point(|&s| s <= offset);
        let start = self.line_starts[line - 1];
        Pos {
            offset,
            line: line as u32,
            column: offset - start + 1,
        }
    }

    /// The text of a 1-based line (without its newline), if it exists.
    pub fn line_text(&self, line: u32) -> Option<&str> {
        let idx = (line as usize).checked_sub(1)?;
        let start = *self.line_starts.get(idx)? as usize;
        let end = self
            .line_starts
            .get(idx + 1)
            .map(|&e| e as usize - 1)
            .unwrap_or(self.text.len());
        self.text.get(start..end)
    }
}

/// The set of files of one compilation; turns spans into `file:line:col`.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file and returns its id.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        self.files.push(SourceFile::new(name.into(), text.into()));
        FileId(self.files.len() as u32 - 1)
    }

    /// The file with this id. Panics on an id from another map.
    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// The file with this id, if it exists.
    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    /// All files in the order they were added.
    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    /// `file:line:col` of the start of a span (just the file name when the
    /// span has no position).
    pub fn location(&self, span: Span) -> Location<'_> {
        let name = self.get(span.file).map(|f| f.name.as_str()).unwrap_or("?");
        Location {
            file: name,
            pos: span.start,
        }
    }
}

/// A displayable `file:line:col`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Location<'a> {
    /// File name.
    pub file: &'a str,
    /// Position in the file.
    pub pos: Pos,
}

impl fmt::Display for Location<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.pos.is_valid() {
            write!(f, "{}:{}:{}", self.file, self.pos.line, self.pos.column)
        } else {
            write!(f, "{}", self.file)
        }
    }
}
