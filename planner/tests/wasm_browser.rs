//! The wasm API tests of `tests/wasm.rs`, run in a browser:
//! `wasm-pack test --headless --chrome planner` (Debian's chromium and
//! chromium-driver; see scripts/test-wasm).
#![cfg(target_arch = "wasm32")]

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

#[path = "wasm.rs"]
mod wasm;
