//! The conformance judge as a plain WebAssembly module (no JavaScript
//! glue): the host writes `NAME\nARCHIVE TEXT` into memory obtained from
//! [`alloc`], calls [`judge`], and reads the JSON [`ChildReport`] back.

// The runner's own modules, so native and wasm judge the same way. The
// process-spawning parts are compiled but unused here.
#[allow(dead_code)]
#[path = "../../src/conformance/mod.rs"]
mod conformance;

use conformance::txtar::Archive;
use conformance::{ChildReport, evaluate};

/// Allocates `len` bytes for the host to write into.
#[unsafe(no_mangle)]
pub extern "C" fn alloc(len: usize) -> *mut u8 {
    let mut v = Vec::<u8>::with_capacity(len);
    let p = v.as_mut_ptr();
    std::mem::forget(v);
    p
}

/// Judges the archive in `ptr[..len]`; returns `(out_ptr << 32) | out_len`
/// of the JSON report (which stays allocated).
///
/// # Safety
/// `ptr[..len]` must be memory from [`alloc`] holding UTF-8 text.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn judge(ptr: *mut u8, len: usize) -> u64 {
    // SAFETY: the host wrote `len` bytes at `ptr`, allocated by `alloc`.
    let input = unsafe { Vec::from_raw_parts(ptr, len, len) };
    let text = String::from_utf8_lossy(&input);
    let (name, body) = text.split_once('\n').unwrap_or(("archive.txtar", &text));
    let archive = Archive::parse(name, body);
    let (_, outcomes) = evaluate(&archive);
    let out = serde_json::to_string(&ChildReport { outcomes })
        .unwrap_or_default()
        .into_bytes();
    let (p, n) = (out.as_ptr() as u64, out.len() as u64);
    std::mem::forget(out);
    (p << 32) | n
}
