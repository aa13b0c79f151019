//! Debug helper: `cargo run --example dbg -p cue-eval -- FILE.txtar [PATH...]`
//! evaluates the top-level `.cue` sections of a txtar archive (or a plain
//! `.cue` file) and prints each path's value as CUE, with timing.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(file) = args.first() else {
        eprintln!("usage: dbg FILE [PATH...]");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(file).expect("readable file");
    let mut files: Vec<(String, String)> = Vec::new();
    if file.ends_with(".txtar") {
        let mut cur: Option<(String, String)> = None;
        for line in text.split_inclusive('\n') {
            if let Some(name) = line
                .trim_end()
                .strip_prefix("-- ")
                .and_then(|l| l.strip_suffix(" --"))
            {
                files.extend(cur.take());
                cur = Some((name.to_string(), String::new()));
            } else if let Some((_, t)) = cur.as_mut() {
                t.push_str(line);
            }
        }
        files.extend(cur);
        files.retain(|(n, _)| n.ends_with(".cue") && !n.contains('/'));
    } else {
        files.push((file.clone(), text));
    }
    let rt = cue_eval::Runtime::new();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let root = match rt.compile_files(&refs) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let paths: Vec<String> = if args.len() > 1 {
        args[1..].to_vec()
    } else {
        vec![String::new()]
    };
    for p in paths {
        let t = std::time::Instant::now();
        let v = if p.is_empty() {
            Ok(root.clone())
        } else {
            root.lookup(&p)
        };
        match v {
            Ok(v) => {
                let s = v.to_cue_all();
                let e = v
                    .validate(true)
                    .err()
                    .map(|e| format!("{:?} {}: {}", e.kind, e.path, e.message));
                println!("{p} = {s}\n  err: {e:?}\n  ({:?})", t.elapsed());
            }
            Err(e) => println!("{p}: lookup error {:?}: {}", e.kind, e),
        }
    }
}
