//! Shared by the fuzz targets (included with `mod common;`).
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Mutex, Once};

/// softras runs its third-party parsers (tobj, the image decoders) under `catch_unwind` and turns their
/// panics into errors. libfuzzer-sys's panic hook aborts on *every* panic, caught or not, which would
/// report those handled panics as crashes. This hook prints each caught panic's location once (so that a
/// panicking dependency is still noticed) and lets unwinding go on: a panic that escapes softras still
/// reaches libfuzzer-sys's own `catch_unwind` around the target, which aborts (a crash).
pub fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        static SEEN: Mutex<Option<HashSet<String>>> = Mutex::new(None);
        std::panic::set_hook(Box::new(|info| {
            let at = info.location().map(|l| l.to_string()).unwrap_or_default();
            let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
            if seen.get_or_insert_with(HashSet::new).insert(at.clone()) {
                eprintln!("fuzz: panic at {at}: {info}");
            }
        }));
    });
}

#[allow(dead_code)]
/// A folder private to this process, for the files the loaders read.
pub fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("softras-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create the scratch folder");
    dir
}
