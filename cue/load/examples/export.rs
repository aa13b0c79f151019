//! `cargo run -p cue-load --example export -- DIR [-e EXPR] [-p PKG]
//! [-t key=value]... [-T var=value]... [--repeat N]`: loads the package in
//! the module directory DIR and prints `EXPR` (default: the whole value)
//! (an expression evaluated in the package, like `cue export -e`) as JSON
//! like `cue export`. With `--repeat N` it loads N times with one
//! loader and prints the cold and warm load times on stderr.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

fn read_tree(root: &Path, dir: &Path, out: &mut cue_load::FileMap) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.file_name().is_some_and(|n| n == ".git") {
            continue;
        }
        if p.is_dir() {
            read_tree(root, &p, out);
        } else if let Ok(b) = std::fs::read(&p) {
            let rel = p
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.insert(rel, b);
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut dir = None;
    let mut expr = None;
    let mut repeat = 1usize;
    let mut cfg = cue_load::Config {
        file_prefix: "./".into(),
        ..Default::default()
    };
    while let Some(a) = args.next() {
        match a.as_str() {
            "-e" => expr = args.next(),
            "-p" => cfg.package = args.next(),
            "-t" => cfg.tags.extend(args.next()),
            "-T" => {
                let v = args.next().unwrap_or_default();
                let (k, v) = v.split_once('=').unwrap_or((&v, ""));
                cfg.tag_vars
                    .get_or_insert_with(BTreeMap::new)
                    .insert(k.to_string(), v.to_string());
            }
            "--repeat" => repeat = args.next().and_then(|n| n.parse().ok()).unwrap_or(1),
            _ => dir = Some(a),
        }
    }
    let dir = dir.unwrap_or_else(|| ".".into());
    let mut files = cue_load::FileMap::new();
    read_tree(Path::new(&dir), Path::new(&dir), &mut files);
    let mut loader = cue_load::Loader::new();
    let mut inst = None;
    for i in 0..repeat {
        let t = Instant::now();
        match loader.load(&files, &cfg) {
            Ok(x) => inst = Some(x),
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        }
        if repeat > 1 {
            let what = if i == 0 { "cold" } else { "warm" };
            eprintln!("load {i} ({what}): {:?} {:?}", t.elapsed(), loader.stats());
        }
    }
    let inst = inst.unwrap();
    let t = Instant::now();
    let v = match &expr {
        Some(e) => match loader.load_expr(&files, &cfg, e) {
            Ok(v) => v,
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        },
        None => inst.value.clone(),
    };
    match v.to_json_string(true) {
        Ok(s) => print!("{s}"),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
    if repeat > 1 {
        eprintln!("evaluate + export: {:?}", t.elapsed());
    }
}
