//! Locating the `ferry` binary the end-to-end tests run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The `ferry` binary: `$FERRY_BIN` when set, else `ferry` built once per
/// test process with `cargo build -p applier --bin ferry` into the target
/// directory and profile of the running test (cargo releases its build lock
/// while tests run, so this does not deadlock). Panics with cargo's output
/// when the build fails.
pub fn ferry_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(bin) = std::env::var_os("FERRY_BIN") {
            return PathBuf::from(bin);
        }
        let exe = std::env::current_exe().expect("test executable path");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("the test executable lives in target/<profile>/deps");
        let target_dir = profile_dir.parent().expect("target dir");
        let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
            Some("debug") => "dev",
            Some(other) => other,
            None => panic!("unexpected target layout {}", profile_dir.display()),
        };
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let out = Command::new(cargo)
            .args([
                "build",
                "-p",
                "applier",
                "--bin",
                "ferry",
                "--profile",
                profile,
            ])
            .arg("--target-dir")
            .arg(target_dir)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("running cargo build");
        assert!(
            out.status.success(),
            "building ferry failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        profile_dir.join("ferry")
    })
}
