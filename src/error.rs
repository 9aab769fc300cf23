//! One error type for the library: every failure a user can cause ends here with a message that says
//! what was wrong and what to change, never a panic.
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An argument or input outside its valid range (σ ≤ 0 of a render, size 0, NaN …); a fit's settings,
    /// which have names, use [`Error::Setting`].
    #[error("invalid input: {0}")]
    Invalid(String),
    /// A setting outside its valid range, or a failure that a setting can fix. The message names the
    /// setting (by its name in the library, e.g. `lr` of [`crate::fit::FitParams`]) between `before` and
    /// `after`, so that a front end can show its own name for it ([`Error::to_string_naming`]; the CLI
    /// shows the flag that sets it).
    #[error("invalid input: {before}{setting}{after}")]
    Setting { before: String, setting: &'static str, after: String },
    /// A mesh file that could not be read or made sense of.
    #[error("cannot read mesh {path}: {msg}")]
    Mesh { path: PathBuf, msg: String },
    /// A file that could not be read or written.
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// No usable GPU adapter, or a GPU operation that failed.
    #[error("GPU: {0}")]
    Gpu(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn invalid(msg: impl Into<String>) -> Self {
        Error::Invalid(msg.into())
    }
    /// `setting` followed by what is wrong with its value: `Error::setting("lr", "must be > 0")` reads
    /// "invalid input: lr must be > 0".
    pub fn setting(setting: &'static str, problem: impl AsRef<str>) -> Self {
        Error::Setting { before: String::new(), setting, after: format!(" {}", problem.as_ref()) }
    }
    /// A message that names `setting` in its middle: `before`, the setting, `after`.
    pub fn mentioning(before: impl Into<String>, setting: &'static str, after: impl Into<String>) -> Self {
        Error::Setting { before: before.into(), setting, after: after.into() }
    }
    /// The message as `Display` writes it, but with a setting named by `name` (the CLI: its flag).
    pub fn to_string_naming(&self, name: impl Fn(&'static str) -> String) -> String {
        match self {
            Error::Setting { before, setting, after } => format!("invalid input: {before}{}{after}", name(setting)),
            e => e.to_string(),
        }
    }
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }
}

/// A number as a message shows it: plain when readable, in scientific notation when very large or
/// very small (1e300 is not printed as 301 digits).
pub fn num(v: f64) -> String {
    if v != 0.0 && v.is_finite() && !(1e-4..1e6).contains(&v.abs()) { format!("{v:e}") } else { format!("{v}") }
}

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, flushed, then renamed over
/// the destination and the folder synced, so an error never leaves a partial file (nor the temporary
/// one) behind. A symlink at `path` is written through: its target is replaced and the link kept.
pub fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    // follow a symlink to the file it names (it may not exist yet)
    let mut path = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = std::fs::read_link(&path).map_err(|e| Error::io(&path, e))?;
                path = match path.parent() {
                    Some(d) => d.join(target),
                    None => target,
                };
            }
            _ => break,
        }
    }
    let path = path.as_path();
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().ok_or_else(|| Error::invalid(format!("{} is not a file path", path.display())))?;
    let tmp = dir.join(format!(".{}.tmp{}", name.to_string_lossy(), std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let mut created = false;
    let result = (|| {
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        created = true;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        created = false;
        // make the rename itself durable (best effort: the file is in place either way)
        let _ = std::fs::File::open(&dir).and_then(|d| d.sync_all());
        Ok(())
    })();
    if let Err(e) = result {
        if created {
            let _ = std::fs::remove_file(&tmp);
        }
        return Err(Error::io(path, e));
    }
    Ok(())
}
