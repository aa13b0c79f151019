//! Output while clusters run concurrently: one line per object action, prefixed
//! with cluster and instance, a spinner per cluster on a terminal, and a final
//! table per cluster.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::apply::{Action, Outcome};
use crate::engine::ClusterReport;

/// Prints progress; safe to share between cluster tasks.
pub struct Reporter {
    quiet: bool,
    multi: Option<MultiProgress>,
    lock: Mutex<()>,
}

impl Reporter {
    /// A reporter printing to stdout, with spinners when stderr is a terminal.
    pub fn new() -> Self {
        let multi = std::io::stderr().is_terminal().then(MultiProgress::new);
        Self {
            quiet: false,
            multi,
            lock: Mutex::new(()),
        }
    }

    /// A reporter that prints nothing (library use, tests).
    pub fn quiet() -> Self {
        Self {
            quiet: true,
            multi: None,
            lock: Mutex::new(()),
        }
    }

    fn line(&self, text: &str) {
        if self.quiet {
            return;
        }
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        match &self.multi {
            Some(m) => m.suspend(|| println!("{text}")),
            None => println!("{text}"),
        }
    }

    /// Reports one object's outcome.
    pub fn object(&self, cluster: &str, instance: &str, o: &Outcome) {
        let mut text = format!("{cluster}/{instance}: {} {}", o.object, o.action);
        if let Some(m) = &o.message {
            let _ = write!(text, " ({m})");
        }
        if let Some(d) = &o.diff {
            text.push('\n');
            text.push_str(d.trim_end());
        }
        self.line(&text);
    }

    /// Reports a message about a cluster or instance.
    pub fn note(&self, prefix: &str, message: &str) {
        self.line(&format!("{prefix}: {message}"));
    }

    /// A spinner for a cluster (hidden unless on a terminal).
    pub fn spinner(&self, cluster: &str) -> ProgressBar {
        let Some(m) = &self.multi else {
            return ProgressBar::hidden();
        };
        let bar = m.add(ProgressBar::new_spinner());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {prefix:.bold} {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_prefix(cluster.to_string());
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    }

    /// Prints the final table.
    pub fn summary(&self, reports: &[ClusterReport]) {
        if !self.quiet {
            self.line(&summary_table(reports));
        }
    }
}

impl Default for Reporter {
    fn default() -> Self {
        Self::new()
    }
}

/// The `error: ...` line of a failed cluster, naming it once: instance errors
/// already start with `cluster/instance:`.
pub fn error_line(r: &ClusterReport) -> Option<String> {
    let e = r.error.as_deref()?;
    Some(if e.starts_with(&format!("{}/", r.cluster)) {
        format!("error: {e}")
    } else {
        format!("error: {}: {e}", r.cluster)
    })
}

/// The final table: one row per cluster.
pub fn summary_table(reports: &[ClusterReport]) -> String {
    let header = [
        "CLUSTER",
        "CREATED",
        "CONFIGURED",
        "UNCHANGED",
        "DELETED",
        "FAILED",
        "DURATION",
        "RESULT",
    ];
    let mut rows: Vec<[String; 8]> = vec![header.map(str::to_string)];
    for r in reports {
        let count = |a: Action| r.count(a).to_string();
        rows.push([
            r.cluster.clone(),
            count(Action::Created),
            count(Action::Configured),
            count(Action::Unchanged),
            count(Action::Deleted),
            count(Action::Failed),
            format!("{:.1}s", r.duration.as_secs_f64()),
            // The full error follows the table.
            match (
                &r.error,
                r.instances.iter().any(|i| !i.not_ready.is_empty()),
            ) {
                (None, _) => "ok".to_string(),
                (Some(_), true) => "not ready".to_string(),
                (Some(_), false) => "error".to_string(),
            },
        ]);
    }
    let widths: Vec<usize> = (0..8)
        .map(|c| rows.iter().map(|r| r[c].len()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, v)| format!("{v:<w$}", w = widths[c]))
            .collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
    }
    out.trim_end().to_string()
}
