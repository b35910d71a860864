//! [`compiler::Files`] over the disk, relative to the Runefile's folder.
use std::path::{Path, PathBuf};

use compiler::{FileContent, FileError, Files};

/// Largest single file or folder read for a Runefile.
const MAX_BYTES: u64 = 1024 * 1024 * 1024;

/// Reads files relative to `root`.
#[derive(Debug, Clone)]
pub struct DiskFiles {
    pub root: PathBuf,
}

impl DiskFiles {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DiskFiles { root: root.into() }
    }
}

impl Files for DiskFiles {
    fn read(&self, path: &str) -> Result<FileContent, FileError> {
        let full = self.root.join(compiler::files::normalise(path));
        let shown = std::fs::canonicalize(&full).unwrap_or_else(|_| full.clone()).display().to_string();
        let err = |reason: String| FileError { full_path: shown.clone(), reason };
        let meta = std::fs::metadata(&full).map_err(|e| err(e.to_string()))?;
        if meta.is_file() {
            if meta.len() > MAX_BYTES {
                return Err(err(format!("the file is {} bytes, more than the {MAX_BYTES} accepted", meta.len())));
            }
            return std::fs::read(&full).map(FileContent::File).map_err(|e| err(e.to_string()));
        }
        let mut entries = Vec::new();
        let mut total = 0u64;
        walk(&full, &full, &mut entries, &mut total).map_err(err)?;
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(FileContent::Directory(entries))
    }
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>, total: &mut u64) -> Result<(), String> {
    let mut items: Vec<_> =
        std::fs::read_dir(dir).map_err(|e| e.to_string())?.collect::<Result<_, _>>().map_err(|e| e.to_string())?;
    items.sort_by_key(|e| e.file_name());
    for item in items {
        let path = item.path();
        let kind = item.file_type().map_err(|e| e.to_string())?;
        if kind.is_dir() {
            walk(root, &path, out, total)?;
        } else if kind.is_file() {
            let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            *total += bytes.len() as u64;
            if *total > MAX_BYTES {
                return Err(format!("the folder holds more than the {MAX_BYTES} bytes accepted"));
            }
            let rel = path.strip_prefix(root).map_err(|e| e.to_string())?;
            let name = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
            out.push((name, bytes));
        }
    }
    Ok(())
}
