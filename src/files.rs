//! Guards around the user's files: bounded reads of regular files only, and the checks that run before
//! any work so that no output overwrites an input (or another output) and every output folder is
//! writable.
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// Largest file softras reads (pictures, views, CSVs, OBJs): 1 GiB.
pub const MAX_READ_BYTES: u64 = 1 << 30;

/// Reads a user's file: it must be a regular file (not a pipe, device or folder) of at most
/// [`MAX_READ_BYTES`], and no more than that is ever read.
pub fn read_capped(path: &Path) -> Result<Vec<u8>> {
    read_limited(path, MAX_READ_BYTES)
}

/// [`read_capped`] with another limit.
pub fn read_limited(path: &Path, max: u64) -> Result<Vec<u8>> {
    use std::io::Read;
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if !meta.is_file() {
        return Err(Error::invalid(format!("{} is not a regular file (a folder, pipe or device cannot be read as input)", path.display())));
    }
    if meta.len() > max {
        return Err(Error::invalid(format!("{} is too large ({} bytes; at most {max} are read)", path.display(), meta.len())));
    }
    let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    f.take(max + 1).read_to_end(&mut bytes).map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > max {
        return Err(Error::invalid(format!("{} is too large (more than {max} bytes)", path.display())));
    }
    Ok(bytes)
}

/// The path a file is (or would be) at after resolving symlinks, `.` and `..`: the canonical path of an
/// existing file; for one that does not exist yet, the canonical parent folder and the file name (a
/// dangling symlink is followed to where it points).
pub fn resolve(path: &Path) -> Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        if let Ok(c) = std::fs::canonicalize(&p) {
            return Ok(c);
        }
        match std::fs::read_link(&p) {
            Ok(target) => {
                p = match p.parent() {
                    Some(d) => d.join(target),
                    None => target,
                };
            }
            Err(_) => break,
        }
    }
    let name = p.file_name().ok_or_else(|| Error::invalid(format!("{} is not a file path", path.display())))?;
    let parent = match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let dir = std::fs::canonicalize(&parent).map_err(|e| Error::io(&parent, e))?;
    Ok(dir.join(name))
}

/// Creates and removes a file in `dir` to see that it can be written there.
fn probe_writable(dir: &Path, flag: &str, shown: &Path) -> Result<()> {
    let meta = std::fs::metadata(dir)
        .map_err(|e| Error::invalid(format!("{flag} {}: the folder {} cannot be used ({e})", shown.display(), dir.display())))?;
    if !meta.is_dir() {
        return Err(Error::invalid(format!("{flag} {}: {} is not a folder", shown.display(), dir.display())));
    }
    let probe = dir.join(format!(".softras-probe-{}", std::process::id()));
    let _ = std::fs::remove_file(&probe);
    match std::fs::OpenOptions::new().write(true).create_new(true).open(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(Error::invalid(format!("{flag} {}: cannot write in the folder {} ({e})", shown.display(), dir.display()))),
    }
}

/// The files a command reads and writes, checked together before any work ([`Files::check`]).
#[derive(Default)]
pub struct Files {
    inputs: Vec<(String, PathBuf)>,
    outputs: Vec<(String, PathBuf, bool)>,
}

impl Files {
    pub fn new() -> Self {
        Self::default()
    }

    /// A file the command reads, named by its flag (or argument name) in messages.
    pub fn input(&mut self, flag: &str, path: Option<&Path>) -> &mut Self {
        if let Some(p) = path {
            self.inputs.push((flag.to_string(), p.to_path_buf()));
        }
        self
    }

    /// A file the command writes.
    pub fn output(&mut self, flag: &str, path: Option<&Path>) -> &mut Self {
        if let Some(p) = path {
            self.outputs.push((flag.to_string(), p.to_path_buf(), false));
        }
        self
    }

    /// A folder the command writes files `view_NNN.png` into (created if missing).
    pub fn output_dir(&mut self, flag: &str, path: Option<&Path>) -> &mut Self {
        if let Some(p) = path {
            self.outputs.push((flag.to_string(), p.to_path_buf(), true));
        }
        self
    }

    /// Refuses an output that is an input or another output (after resolving symlinks, `.` and `..`),
    /// an input inside an output folder that the command would overwrite, and an output whose folder
    /// does not exist or cannot be written.
    pub fn check(&self) -> Result<()> {
        let inputs: Vec<(&str, &Path, Option<PathBuf>)> =
            self.inputs.iter().map(|(f, p)| (f.as_str(), p.as_path(), resolve(p).ok())).collect();
        let mut outs: Vec<(&str, &Path, PathBuf, bool)> = Vec::new();
        for (flag, p, is_dir) in &self.outputs {
            let r = if *is_dir {
                resolve_dir(p, flag)?
            } else {
                resolve(p).map_err(|e| Error::invalid(format!("{flag} {}: {e}", p.display())))?
            };
            for (iflag, ip, ir) in &inputs {
                let Some(ir) = ir else { continue };
                let clash = *ir == r || same_inode(ir, &r) || (*is_dir && ir.parent() == Some(r.as_path()) && is_view_png(ir));
                if clash {
                    return Err(Error::invalid(format!(
                        "{flag} {} would overwrite the input {iflag} {}: choose another output path",
                        p.display(),
                        ip.display()
                    )));
                }
            }
            for (oflag, op, or, _) in &outs {
                if *or == r {
                    return Err(Error::invalid(format!(
                        "{flag} {} and {oflag} {} are the same file: give each output its own path",
                        p.display(),
                        op.display()
                    )));
                }
            }
            if *is_dir {
                // the nearest folder that exists must be writable (the rest is created)
                let mut d = r.clone();
                while !d.exists() {
                    match d.parent() {
                        Some(up) => d = up.to_path_buf(),
                        None => break,
                    }
                }
                probe_writable(&d, flag, p)?;
            } else {
                if r.is_dir() {
                    return Err(Error::invalid(format!("{flag} {} is a folder, not a file path", p.display())));
                }
                probe_writable(r.parent().unwrap_or(Path::new("/")), flag, p)?;
            }
            outs.push((flag, p, r, *is_dir));
        }
        Ok(())
    }
}

/// An output folder resolved like [`resolve`], allowing missing levels (they are created).
fn resolve_dir(p: &Path, flag: &str) -> Result<PathBuf> {
    if let Ok(c) = std::fs::canonicalize(p) {
        return Ok(c);
    }
    let abs = if p.is_absolute() { p.to_path_buf() } else { std::env::current_dir().map_err(|e| Error::io(".", e))?.join(p) };
    let mut missing = Vec::new();
    let mut d = abs.as_path();
    loop {
        if let Ok(c) = std::fs::canonicalize(d) {
            let mut out = c;
            for m in missing.iter().rev() {
                out.push(m);
            }
            return Ok(out);
        }
        match (d.file_name(), d.parent()) {
            (Some(n), Some(up)) => {
                missing.push(n.to_os_string());
                d = up;
            }
            _ => return Err(Error::invalid(format!("{flag} {}: no existing folder above it", p.display()))),
        }
    }
}

/// Two existing paths naming one file (a hard link).
#[cfg(unix)]
fn same_inode(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.is_file() && x.dev() == y.dev() && x.ino() == y.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_inode(_: &Path, _: &Path) -> bool {
    false
}

fn is_view_png(p: &Path) -> bool {
    let n = p.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    n.strip_prefix("view_").and_then(|r| r.strip_suffix(".png")).is_some_and(|k| !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()))
}

/// Host memory softras lets one command plan for: half of the machine's (MemTotal of /proc/meminfo;
/// 8 GB assumed where it cannot be read).
pub fn memory_budget() -> u64 {
    let total = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("MemTotal:"))?.to_string();
            let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kb.saturating_mul(1024))
        })
        .unwrap_or(8 << 30);
    total / 2
}

/// Refuses a plan of `bytes` of host memory beyond [`memory_budget`]; `lower` says which flags to lower.
pub fn check_memory(bytes: u64, what: &str, lower: &str) -> Result<()> {
    let budget = memory_budget();
    if bytes > budget {
        let gb = |b: u64| b as f64 / (1u64 << 30) as f64;
        return Err(Error::invalid(format!(
            "{what} would need about {:.1} GiB of memory, more than the {:.1} GiB allowed (half of this machine's): lower {lower}",
            gb(bytes),
            gb(budget)
        )));
    }
    Ok(())
}
