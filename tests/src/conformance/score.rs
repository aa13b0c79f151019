//! Counting outcomes per folder and in total, printing them, and the
//! ratchet against a committed baseline.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::extract::{Assertion, Category};
use super::judge::Outcome;

/// Pass/fail/unsupported counts of one category.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Assertions met.
    pub pass: u64,
    /// Assertions not met (incl. crashes and timeouts).
    pub fail: u64,
    /// Assertions the evaluator cannot check yet.
    pub unsupported: u64,
}

impl Tally {
    fn add(&mut self, o: &Outcome) {
        match o {
            Outcome::Pass => self.pass += 1,
            Outcome::Fail(_) => self.fail += 1,
            Outcome::Unsupported(_) => self.unsupported += 1,
        }
    }

    /// All assertions counted.
    pub fn total(&self) -> u64 {
        self.pass + self.fail + self.unsupported
    }
}

/// The three scored categories.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scores {
    /// `eq` with concrete expected values.
    pub eq_concrete: Tally,
    /// `eq` with non-concrete expected values.
    pub eq_other: Tally,
    /// `err`.
    pub err: Tally,
}

impl Scores {
    fn add(&mut self, c: Category, o: &Outcome) {
        match c {
            Category::EqConcrete => self.eq_concrete.add(o),
            Category::EqOther => self.eq_other.add(o),
            Category::Err => self.err.add(o),
            Category::Skipped => {}
        }
    }
}

/// The report: exactly the JSON shape of issue 4.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// All folders together.
    pub total: Scores,
    /// Per folder (first path component of the archive).
    pub folders: BTreeMap<String, Scores>,
    /// Assertions not scored (todo/incorrect/ignore/internal), with
    /// whatever the judge said about them; printed, not in the JSON.
    #[serde(skip)]
    pub skipped: Tally,
}

impl Report {
    /// Adds one archive's outcomes.
    pub fn add(&mut self, folder: &str, assertions: &[Assertion], outcomes: &[Outcome]) {
        let f = self.folders.entry(folder.to_string()).or_default();
        for (a, o) in assertions.iter().zip(outcomes) {
            if a.category == Category::Skipped {
                self.skipped.add(o);
            } else {
                f.add(a.category, o);
                self.total.add(a.category, o);
            }
        }
    }

    /// The human-readable table.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let cell = |t: &Tally| format!("{:>5} {:>5} {:>5}", t.pass, t.fail, t.unsupported);
        let _ = writeln!(
            out,
            "{:<16} | {:^17} | {:^17} | {:^17}",
            "folder", "eq concrete", "eq non-concrete", "err"
        );
        let _ = writeln!(
            out,
            "{:<16} | {:>17} | {:>17} | {:>17}",
            "", "pass  fail  unsp", "pass  fail  unsp", "pass  fail  unsp"
        );
        let _ = writeln!(out, "{}", "-".repeat(16 + 3 * 20));
        let row = |out: &mut String, name: &str, s: &Scores| {
            let _ = writeln!(
                out,
                "{:<16} | {} | {} | {}",
                name,
                cell(&s.eq_concrete),
                cell(&s.eq_other),
                cell(&s.err)
            );
        };
        for (name, s) in &self.folders {
            row(&mut out, name, s);
        }
        let _ = writeln!(out, "{}", "-".repeat(16 + 3 * 20));
        row(&mut out, "TOTAL", &self.total);
        let pct = |t: &Tally| {
            if t.total() == 0 {
                0.0
            } else {
                100.0 * t.pass as f64 / t.total() as f64
            }
        };
        let _ = writeln!(
            out,
            "passing: eq concrete {:.1}%, eq non-concrete {:.1}%, err {:.1}%; not scored (todo/incorrect/ignore/internal): {}",
            pct(&self.total.eq_concrete),
            pct(&self.total.eq_other),
            pct(&self.total.err),
            self.skipped.total()
        );
        out
    }
}

/// The committed ratchet: minimum passing assertions per category.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    /// Passing concrete `eq` assertions.
    pub eq_concrete: u64,
    /// Passing non-concrete `eq` assertions.
    pub eq_other: u64,
    /// Passing `err` assertions.
    pub err: u64,
}

impl Baseline {
    /// The pass counts of a report.
    pub fn of(r: &Report) -> Baseline {
        Baseline {
            eq_concrete: r.total.eq_concrete.pass,
            eq_other: r.total.eq_other.pass,
            err: r.total.err.pass,
        }
    }

    /// Categories where `now` passes fewer assertions than `self`.
    pub fn regressions(&self, now: &Baseline) -> Vec<String> {
        let mut out = Vec::new();
        for (name, was, is) in [
            ("eq_concrete", self.eq_concrete, now.eq_concrete),
            ("eq_other", self.eq_other, now.eq_other),
            ("err", self.err, now.err),
        ] {
            if is < was {
                out.push(format!("{name}: {is} passing, baseline {was}"));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_shape_matches_the_issue() {
        let r = Report::default();
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"total": {"eq_concrete": {"pass": 0, "fail": 0, "unsupported": 0},
                "eq_other": {"pass": 0, "fail": 0, "unsupported": 0},
                "err": {"pass": 0, "fail": 0, "unsupported": 0}}, "folders": {}})
        );
    }

    #[test]
    fn ratchet_detects_drops_only() {
        let base = Baseline {
            eq_concrete: 5,
            eq_other: 2,
            err: 3,
        };
        assert!(
            base.regressions(&Baseline {
                eq_concrete: 6,
                eq_other: 2,
                err: 3
            })
            .is_empty()
        );
        assert_eq!(
            base.regressions(&Baseline {
                eq_concrete: 6,
                eq_other: 1,
                err: 3
            })
            .len(),
            1
        );
    }
}
