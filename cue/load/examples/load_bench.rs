//! `cargo run --release -p cue-load --example load_bench [N]`: loads the
//! example `webapp` module with the full generated schemas
//! (`testdata/k8s-gen`) as `cue.mod/gen`, once cold and then for N more
//! instances with the cache warm, and prints times and peak memory.

use cue_load::{Config, FileMap, Loader};
use std::path::Path;
use std::time::Instant;

fn read_tree(root: &Path, dir: &Path, prefix: &str, out: &mut FileMap) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            read_tree(root, &p, prefix, out);
        } else {
            let rel = p
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.insert(format!("{prefix}{rel}"), std::fs::read(&p).unwrap());
        }
    }
}

fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(str::to_string)
        })
        .unwrap_or_else(|| "VmHWM: unknown".into())
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100);
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let module = repo.join("examples/modules/webapp");
    let mut files = FileMap::new();
    read_tree(&module, &module, "", &mut files);
    files.retain(|k, _| !k.starts_with("cue.mod/gen/"));
    let gen_root = repo.join("testdata/k8s-gen");
    read_tree(&gen_root, &gen_root, "cue.mod/gen/", &mut files);
    let bytes: usize = files.values().map(Vec::len).sum();
    println!("{} files, {bytes} bytes", files.len());

    let mut probe = Config::timoni("demo", "default", "1.0.0", "1.30.0");
    let probe_file = "package main\nprobe: timoni.apply.app[0]\n";
    probe
        .overlays
        .insert("ferry_probe.cue".into(), probe_file.into());

    let mut loader = Loader::new();
    let t = Instant::now();
    let inst = loader.load(&files, &probe).expect("load");
    let cold = t.elapsed();
    let t = Instant::now();
    let out = inst
        .value
        .lookup("probe")
        .and_then(|v| v.to_json_string(false));
    let eval = t.elapsed();
    println!(
        "cold load: {cold:?}; evaluate+export one object: {eval:?} ({})",
        out.is_ok()
    );
    println!("after cold: {}", peak_rss());

    let t = Instant::now();
    for i in 0..n {
        let mut cfg = probe.clone();
        cfg.tags[0] = format!("name=demo{i}");
        let inst = loader.load(&files, &cfg).expect("load");
        let _ = inst
            .value
            .lookup("probe")
            .and_then(|v| v.to_json_string(false));
    }
    let warm = t.elapsed();
    println!(
        "{n} more instances (warm cache, load+evaluate each): {warm:?} total, {:?} each",
        warm / n.max(1) as u32
    );
    println!("{:?}", loader.stats());
    println!("after warm: {}", peak_rss());
}
