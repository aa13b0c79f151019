//! Diagnostics: every error or warning the planner reports, as a value.

use serde::{Deserialize, Serialize};

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Severity {
    /// The plan (or the part it concerns) cannot be used.
    Error,
    /// Worth a look; the plan is complete.
    Warning,
    /// For information.
    Info,
}

/// One error, warning or note, located as precisely as known.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Diagnostic {
    /// How serious it is.
    pub severity: Severity,
    /// What is wrong, in one sentence, without the location prefix.
    pub message: String,
    /// The source it concerns: a bundle or runtime source name
    /// (`examples/bundle.cue`, `<stdin>`) or a module file as
    /// `<module key>/<path>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// 1-based line in `file`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// 1-based column (in characters) in `file`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub col: Option<u32>,
    /// The cluster it concerns, when it concerns one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// The instance it concerns, when it concerns one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// A value path (`bundle.instances.app.values.replicas`) or an object
    /// (`namespace/Kind/name`) it concerns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl Diagnostic {
    /// An error with a message and nothing else.
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            file: None,
            line: None,
            col: None,
            cluster: None,
            instance: None,
            path: None,
        }
    }

    /// A warning with a message and nothing else.
    pub fn warning(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(message)
        }
    }

    /// Sets the location.
    pub fn at(mut self, loc: &Loc) -> Self {
        self.file = Some(loc.file.clone());
        if loc.line > 0 {
            self.line = Some(loc.line);
            self.col = Some(loc.col.max(1));
        }
        self
    }

    /// Sets the location when one is known.
    pub fn at_opt(self, loc: Option<&Loc>) -> Self {
        match loc {
            Some(l) => self.at(l),
            None => self,
        }
    }

    /// Sets the cluster.
    pub fn cluster(mut self, cluster: impl Into<String>) -> Self {
        self.cluster = Some(cluster.into());
        self
    }

    /// Sets the instance.
    pub fn instance(mut self, instance: impl Into<String>) -> Self {
        self.instance = Some(instance.into());
        self
    }

    /// Sets the path.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl std::fmt::Display for Diagnostic {
    /// `file:line:col: severity: [cluster/instance: ]message`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{file}")?;
            if let (Some(l), Some(c)) = (self.line, self.col) {
                write!(f, ":{l}:{c}")?;
            }
            write!(f, ": ")?;
        }
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        };
        write!(f, "{sev}: ")?;
        match (&self.cluster, &self.instance) {
            (Some(c), Some(i)) => write!(f, "{c}/{i}: ")?,
            (Some(c), None) => write!(f, "{c}: ")?,
            (None, Some(i)) => write!(f, "{i}: ")?,
            (None, None) => {}
        }
        write!(f, "{}", self.message)?;
        if let Some(p) = &self.path {
            write!(f, " (at {p})")?;
        }
        Ok(())
    }
}

/// A source location: file name, 1-based line and column (0 when unknown).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Loc {
    /// The source name.
    pub file: String,
    /// 1-based line, 0 when unknown.
    pub line: u32,
    /// 1-based column, 0 when unknown.
    pub col: u32,
}

impl Loc {
    /// A location in `file`.
    pub fn new(file: impl Into<String>, line: u32, col: u32) -> Self {
        Loc {
            file: file.into(),
            line,
            col,
        }
    }
}

impl std::fmt::Display for Loc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}:{}", self.file, self.line, self.col.max(1))
        } else {
            write!(f, "{}", self.file)
        }
    }
}

/// Diagnostics collected along the way.
pub type Diagnostics = Vec<Diagnostic>;

/// Whether any diagnostic is an error.
pub fn has_errors(diags: &[Diagnostic]) -> bool {
    diags.iter().any(Diagnostic::is_error)
}
