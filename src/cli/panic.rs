//! The one-line report of a panic: Rust's own report is replaced, so that a user sees `error: internal
//! error: …` (and a panic caught on purpose, a decoder bug turned into an error, prints nothing).
use std::io::Write;
use std::process::ExitCode;

/// The message of the last panic, kept by the hook for [`report`].
static PANIC_MESSAGE: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// Replaces Rust's panic report: the message is kept (and printed by [`report`] as one `error:` line).
pub fn install_hook() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let msg = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        let msg = match info.location() {
            Some(l) => format!("{msg} at {}:{}", l.file(), l.line()),
            None => msg,
        };
        let thread = std::thread::current();
        if thread.name() != Some("main") {
            // threads of our own report through the main thread (scoped threads re-panic there); say it anyway
            let _ = writeln!(
                std::io::stderr(),
                "error: internal error in thread {}: {msg} (please report this as a bug)",
                thread.name().unwrap_or("unnamed")
            );
        }
        if let Ok(mut m) = PANIC_MESSAGE.lock() {
            *m = Some(msg);
        }
    }));
}

/// After a panic reached `main`: prints the kept message as one line and gives the exit code (101).
pub fn report() -> ExitCode {
    let msg = PANIC_MESSAGE.lock().ok().and_then(|m| m.clone()).unwrap_or_default();
    // a reader that went away (`softras eval a b | head -c0`): nothing more to say
    if msg.contains("failed printing to stdout") {
        return ExitCode::SUCCESS;
    }
    let _ = writeln!(std::io::stderr(), "error: internal error: {msg} (please report this as a bug)");
    ExitCode::from(101)
}
