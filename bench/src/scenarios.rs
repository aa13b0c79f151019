//! The fixed planning scenarios and their generated inputs.
//!
//! Every scenario plans instances of the example `webapp` module
//! (`examples/modules/webapp`, which imports generated Kubernetes schemas
//! from `cue.mod/gen/k8s.io/api/...`) with a runtime of N clusters. The
//! bundle reads each cluster's group and region, as the example bundle does;
//! clusters come in 2 groups × 2 regions, so a bundle of I instances needs
//! at most 4·I distinct builds however many clusters there are.

use std::path::Path;

use anyhow::{Context, Result, bail};
use planner::input::{BundleSource, ClusterFacts, PlannerInput, RuntimeSource, RuntimeValue};

/// One planning scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Short stable id (file names, JSON).
    pub id: &'static str,
    /// Instances in the bundle.
    pub instances: usize,
    /// Clusters in the runtime.
    pub clusters: usize,
    /// Whether plans reuse a warm [`planner::Planner`] (parsed files and
    /// compiled packages cached); otherwise every plan starts cold.
    pub warm: bool,
}

impl Scenario {
    /// What the table shows.
    pub fn label(&self) -> String {
        let inst = if self.instances == 1 {
            "1 instance".to_string()
        } else {
            format!("{} instances", self.instances)
        };
        let cl = if self.clusters == 1 {
            "1 cluster".to_string()
        } else {
            format!("{} clusters", self.clusters)
        };
        let how = if self.warm { "warm" } else { "cold" };
        format!("{inst} × {cl}, {how}")
    }

    /// Distinct builds: instances × distinct (group, region) pairs seen.
    pub fn builds(&self) -> usize {
        self.instances * self.clusters.min(4)
    }
}

/// The suite, in table order.
pub fn all() -> Vec<Scenario> {
    let s = |id, instances, clusters, warm| Scenario {
        id,
        instances,
        clusters,
        warm,
    };
    vec![
        s("one-cold", 1, 1, false),
        s("one-warm", 1, 1, true),
        s("i50-c1", 50, 1, false),
        s("i50-c10", 50, 10, false),
        s("i10-c100", 10, 100, false),
    ]
}

/// The bundle: `instances` instances of webapp named `web<variant>-<i>`
/// (a warm planner sees a new variant each run, so only the module's files
/// and imports, not the instance itself, are found in its cache).
fn bundle_text(instances: usize, variant: usize) -> String {
    let mut b = String::from(
        "_group:  *\"dev\" | string @timoni(runtime:string:TIMONI_CLUSTER_GROUP)\n\
         _region: *\"local\" | string @timoni(runtime:string:CLUSTER_REGION)\n\
         bundle: {\n\tapiVersion: \"v1alpha1\"\n\tname: \"bench\"\n\tinstances: {\n",
    );
    for i in 0..instances {
        b.push_str(&format!(
            "\t\t\"web{variant}-{i:02}\": {{\n\
             \t\t\tmodule: url: \"file://./modules/webapp\"\n\
             \t\t\tnamespace: \"bench\"\n\
             \t\t\tvalues: {{\n\
             \t\t\t\tmessage: \"instance {i}\"\n\
             \t\t\t\tenvironment: _group\n\
             \t\t\t\tregion: _region\n\
             \t\t\t\treplicas: [if _group == \"production\" {{3}}, 1][0]\n\
             \t\t\t\tenv: INDEX: \"{i}\"\n\
             \t\t\t}}\n\t\t}}\n"
        ));
    }
    b.push_str("\t}\n}\n");
    b
}

/// Cluster `i` (from 1): group and region.
fn cluster(i: usize) -> (String, &'static str, &'static str) {
    let group = if i.is_multiple_of(2) {
        "production"
    } else {
        "staging"
    };
    let region = if (i / 2).is_multiple_of(2) {
        "eu"
    } else {
        "us"
    };
    (format!("c{i:03}"), group, region)
}

fn runtime_text(clusters: usize) -> String {
    let mut r =
        String::from("runtime: {\n\tapiVersion: \"v1alpha1\"\n\tname: \"bench\"\n\tclusters: {\n");
    for i in 1..=clusters {
        let (name, group, _) = cluster(i);
        r.push_str(&format!(
            "\t\t\"{name}\": {{group: \"{group}\", kubeContext: \"ctx-{i}\"}}\n"
        ));
    }
    r.push_str("\t}\n}\n");
    r
}

/// Builds scenario inputs: the webapp module is read from disk once.
pub struct Inputs {
    module_key: String,
    module: planner::input::ModuleFiles,
}

impl Inputs {
    /// Reads `examples/modules/webapp` under `root`.
    pub fn new(root: &Path) -> Result<Inputs> {
        let dir = root.join("examples/modules/webapp");
        let module = applier::input::read_module("file://./modules/webapp", &dir)
            .with_context(|| format!("reading {}", dir.display()))?;
        let mut probe = PlannerInput {
            input_version: planner::input::INPUT_VERSION,
            ..PlannerInput::default()
        };
        probe.bundles.push(bundle_source(1, 0));
        let req = planner::requirements(&probe)
            .map_err(|d| anyhow::anyhow!("the bench bundle does not evaluate: {d:?}"))?;
        let [m] = req.modules.as_slice() else {
            bail!("expected one module, got {:?}", req.modules);
        };
        Ok(Inputs {
            module_key: m.key.clone(),
            module,
        })
    }

    /// The input of `s`, instance names of `variant`.
    pub fn input(&self, s: &Scenario, variant: usize) -> PlannerInput {
        let clusters = (1..=s.clusters)
            .map(|i| {
                let (name, _, region) = cluster(i);
                let facts = ClusterFacts {
                    runtime_values: [(
                        "CLUSTER_REGION".to_string(),
                        RuntimeValue::String(region.into()),
                    )]
                    .into(),
                    kube_version: Some("1.20.2".into()),
                    ..ClusterFacts::default()
                };
                (name, facts)
            })
            .collect();
        PlannerInput {
            input_version: planner::input::INPUT_VERSION,
            bundles: vec![bundle_source(s.instances, variant)],
            runtime: Some(RuntimeSource {
                name: "bench/runtime.cue".into(),
                text: runtime_text(s.clusters),
            }),
            modules: [(self.module_key.clone(), self.module.clone())].into(),
            clusters,
            options: Default::default(),
        }
    }
}

fn bundle_source(instances: usize, variant: usize) -> BundleSource {
    BundleSource {
        name: "examples/bench-bundle.cue".into(),
        text: bundle_text(instances, variant),
        base_dir: "examples".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clusters_cover_two_groups_and_two_regions() {
        let seen: std::collections::BTreeSet<_> =
            (1..=4).map(|i| (cluster(i).1, cluster(i).2)).collect();
        assert_eq!(seen.len(), 4);
    }

    #[test]
    fn every_scenario_plans_without_errors() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let inputs = Inputs::new(&root).unwrap();
        // The smallest shape of each kind (the full ones are the bench's job).
        let s = Scenario {
            id: "t",
            instances: 2,
            clusters: 2,
            warm: false,
        };
        let out = planner::plan(&inputs.input(&s, 0));
        let errors: Vec<_> = out.diagnostics.iter().filter(|d| d.is_error()).collect();
        assert!(errors.is_empty(), "{errors:#?}");
        assert_eq!(out.clusters.len(), 2);
        assert!(out.clusters.iter().all(|c| c.ok && c.instances.len() == 2));
        let objects: usize = out.clusters[0].instances[0]
            .steps
            .iter()
            .map(|s| s.objects.len())
            .sum();
        assert!(objects >= 6, "{objects} objects");
    }
}
