//! The compiler's only window on files: the [`Files`] trait. The CLI implements it over the disk,
//! the browser app over files the user dropped in, tests over memory.
use std::collections::BTreeMap;

/// What a path names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileContent {
    File(Vec<u8>),
    /// A folder: every file below it, as (relative path with `/`, bytes), sorted by path.
    Directory(Vec<(String, Vec<u8>)>),
}

/// Why a path could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    /// The path as the host resolved it (shown in messages).
    pub full_path: String,
    /// The host's reason, e.g. "No such file or directory (os error 2)".
    pub reason: String,
}

/// Reads files relative to the Runefile's folder.
pub trait Files {
    fn read(&self, path: &str) -> Result<FileContent, FileError>;
}

/// Files held in memory, keyed by normalised relative path (`models/sine.tflite`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryFiles {
    files: BTreeMap<String, Vec<u8>>,
}

impl MemoryFiles {
    pub fn new() -> Self {
        MemoryFiles::default()
    }

    pub fn insert(&mut self, path: &str, bytes: Vec<u8>) {
        self.files.insert(normalise(path), bytes);
    }

    pub fn remove(&mut self, path: &str) -> Option<Vec<u8>> {
        self.files.remove(&normalise(path))
    }

    pub fn contains(&self, path: &str) -> bool {
        self.files.contains_key(&normalise(path))
    }

    /// Every path held, sorted.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.get(&normalise(path)).map(Vec::as_slice)
    }
}

impl Files for MemoryFiles {
    fn read(&self, path: &str) -> Result<FileContent, FileError> {
        let key = normalise(path);
        if let Some(bytes) = self.files.get(&key) {
            return Ok(FileContent::File(bytes.clone()));
        }
        let prefix = if key.is_empty() { String::new() } else { format!("{key}/") };
        let entries: Vec<(String, Vec<u8>)> = self
            .files
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(k, v)| (k[prefix.len()..].to_string(), v.clone()))
            .collect();
        if entries.is_empty() {
            return Err(FileError { full_path: key, reason: "the file has not been added".to_string() });
        }
        Ok(FileContent::Directory(entries))
    }
}

/// No files at all (for compiling text alone).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoFiles;

impl Files for NoFiles {
    fn read(&self, path: &str) -> Result<FileContent, FileError> {
        Err(FileError { full_path: normalise(path), reason: "the file has not been added".to_string() })
    }
}

/// Normalises a relative path: `./a//b/../c/` → `a/c`. Leading `..` are kept.
pub fn normalise(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation() {
        assert_eq!(normalise("./a//b/../c/"), "a/c");
        assert_eq!(normalise("../../x"), "../../x");
        assert_eq!(normalise("sine.tflite"), "sine.tflite");
    }

    #[test]
    fn folders_are_read_as_their_files() {
        let mut files = MemoryFiles::new();
        files.insert("sine-wave/model.json", b"{}".to_vec());
        files.insert("sine-wave/group1-shard1of1.bin", vec![1, 2]);
        files.insert("sine-wave2/x", vec![3]);
        match files.read("./sine-wave/").unwrap() {
            FileContent::Directory(entries) => {
                let names: Vec<_> = entries.iter().map(|(n, _)| n.as_str()).collect();
                assert_eq!(names, vec!["group1-shard1of1.bin", "model.json"]);
            }
            other => panic!("{other:?}"),
        }
        assert!(files.read("missing.tflite").is_err());
    }
}
