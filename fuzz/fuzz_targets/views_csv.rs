#![no_main]
//! Arbitrary bytes as a views CSV through `target::load_views_csv`: Ok or Err, no panic. The scratch
//! folder holds `a.png` and `b.png` so that rows naming them get past the existence check.
mod common;

use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static PATH: LazyLock<std::path::PathBuf> = LazyLock::new(|| {
    common::install_panic_hook();
    let dir = common::scratch_dir();
    for f in ["a.png", "b.png"] {
        std::fs::write(dir.join(f), b"not read").expect("write a view file");
    }
    std::fs::create_dir_all(dir.join("sub")).expect("create a folder");
    dir.join("views.csv")
});

fuzz_target!(|data: &[u8]| {
    std::fs::write(&*PATH, data).expect("write the CSV");
    if let Ok(views) = softras::target::load_views_csv(&PATH) {
        assert!(!views.is_empty());
        assert!(views.iter().any(|v| v.weight as f32 > 0.0));
        for v in &views {
            assert!(v.distance > 0.0 && v.distance.is_finite() && v.elevation.is_finite() && v.azimuth.is_finite());
            assert!(v.file.is_file());
            assert!(v.weight.is_finite() && v.weight >= 0.0);
        }
    }
});
