#![no_main]
//! Arbitrary bytes as an OBJ file through `Mesh::load_obj` (the path the CLI takes): Ok or Err, no panic.
mod common;

use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static PATH: LazyLock<std::path::PathBuf> = LazyLock::new(|| {
    common::install_panic_hook();
    common::scratch_dir().join("mesh.obj")
});

fuzz_target!(|data: &[u8]| {
    std::fs::write(&*PATH, data).expect("write the OBJ");
    if let Ok(mesh) = softras::Mesh::load_obj(&PATH) {
        // What load_obj promises every consumer.
        assert!(mesh.validate().is_ok());
    }
});
