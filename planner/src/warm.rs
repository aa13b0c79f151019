//! A planner that stays warm between plans: the files it parsed and the
//! packages it compiled (a module's imports, such as generated Kubernetes
//! schemas) are reused by the next plan, so re-planning after an edit (the
//! preview page, an editor, a benchmark) pays only for what changed.
//!
//! [`crate::plan()`] starts cold every time; the plans of a [`Planner`]
//! are identical to its, byte for byte.

use cue_load::Loader;
pub use cue_load::LoaderStats;

use crate::input::PlannerInput;
use crate::plan::PlanOutput;
use crate::{mask, planning};

/// Plans with a cache of parsed files and compiled packages kept across
/// calls (keyed by content, so a changed file is parsed again).
///
/// The cache only grows: every distinct file and package (a module's main
/// package once per distinct instance name, namespace and versions) stays
/// until [`Planner::clear`] or drop.
#[derive(Default)]
pub struct Planner {
    loader: Loader,
}

impl Planner {
    /// A planner with an empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// [`crate::plan()`] through the cache: secrets masked.
    pub fn plan(&mut self, input: &PlannerInput) -> PlanOutput {
        let (mut out, secrets) = self.run(input);
        mask::mask_plan(&mut out, &secrets);
        out
    }

    /// [`crate::plan_unmasked`] through the cache: secrets in clear, for
    /// the applier only.
    pub fn plan_unmasked(&mut self, input: &PlannerInput) -> PlanOutput {
        self.run(input).0
    }

    fn run(&mut self, input: &PlannerInput) -> (PlanOutput, Vec<mask::Secrets>) {
        let out = planning::run_in(input, &mut self.loader);
        // A build that panicked (reported as an internal error) may have
        // left the cache half-updated: start the next plan cold.
        if out
            .0
            .diagnostics
            .iter()
            .any(|d| d.message.starts_with("internal error"))
        {
            self.clear();
        }
        out
    }

    /// Counts of files parsed and packages compiled, and of cache hits, since
    /// the cache was created or cleared.
    pub fn stats(&self) -> LoaderStats {
        self.loader.stats()
    }

    /// Drops the cache.
    pub fn clear(&mut self) {
        self.loader = Loader::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{BundleSource, FileContent, ModuleFiles};

    fn input(instance: &str) -> PlannerInput {
        let files = [
            ("cue.mod/module.cue", "module: \"t.example/m\"\n"),
            ("lib/lib.cue", "package lib\n#Labels: [string]: string\n"),
            (
                "timoni.cue",
                "package main\nimport \"t.example/m/lib\"\nvalues: {msg: string}\ntimoni: {\n\tinstance: {name: string @tag(name)\n\t\tns: string @tag(namespace)}\n\tapply: app: [{apiVersion: \"v1\", kind: \"ConfigMap\", metadata: {name: instance.name, labels: lib.#Labels & {app: instance.name}}, data: values}]\n}\n",
            ),
            ("values.cue", "package main\nvalues: msg: \"hi\"\n"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), FileContent::Text(v.to_string())))
        .collect();
        let bundle = format!(
            "bundle: {{\n\tapiVersion: \"v1alpha1\"\n\tname: \"b\"\n\tinstances: {instance}: {{module: url: \"file://m\", namespace: \"n\"}}\n}}\n"
        );
        PlannerInput {
            input_version: 1,
            bundles: vec![BundleSource {
                name: "b.cue".into(),
                text: bundle,
                base_dir: ".".into(),
            }],
            modules: [(
                "file://m".to_string(),
                ModuleFiles {
                    url: "file://m".into(),
                    version: "0.0.0-devel".into(),
                    digest: None,
                    files,
                },
            )]
            .into(),
            ..PlannerInput::default()
        }
    }

    #[test]
    fn warm_plans_equal_cold_ones_and_reuse_the_cache() {
        let mut p = Planner::new();
        let first = p.plan(&input("a"));
        assert!(first.diagnostics.is_empty(), "{:#?}", first.diagnostics);
        assert_eq!(first, crate::plan(&input("a")));
        let cold = p.stats();
        assert!(cold.files_parsed >= 3, "{cold:?}");
        // Another instance name: the main package compiles again, its
        // files and the imported package come from the cache.
        let second = p.plan(&input("b"));
        assert_eq!(second, crate::plan(&input("b")));
        let warm = p.stats();
        assert_eq!(warm.files_parsed, cold.files_parsed, "{warm:?}");
        assert!(warm.package_hits > cold.package_hits, "{warm:?}");
        p.clear();
        assert_eq!(p.stats(), LoaderStats::default());
    }
}
