//! Shared helpers of the end-to-end tests: running the CLI in-process, locating `../shared`,
//! generated fixture models, annotated fixtures and golden files.
#![allow(clippy::unwrap_used)]
use std::path::{Path, PathBuf};

pub mod annotations;
pub mod models;

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// `../shared` next to the workspace (or `$RUNE_SHARED_DIR`), when it exists.
pub fn shared_dir() -> Option<PathBuf> {
    let dir =
        std::env::var_os("RUNE_SHARED_DIR").map(PathBuf::from).unwrap_or_else(|| workspace_root().join("../shared"));
    dir.is_dir().then(|| dir.canonicalize().unwrap_or(dir))
}

/// Prints the standard notice for tests that need `../shared`.
pub fn skip_notice(what: &str) {
    println!("SKIPPED: {what}: ../shared is not present on this machine (CI has it)");
}

/// The cases of a conformance family (`compile-pass`, `run-fail`, ...), sorted, without the
/// ones the original harness skips (names starting with `_`).
pub fn conformance_cases(shared: &Path, family: &str) -> Vec<PathBuf> {
    let dir = shared.join("conformance").join(family);
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("Runefile.yml").exists())
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('_'))
        .collect();
    cases.sort();
    cases
}

/// A deterministic xorshift generator for test and benchmark inputs.
pub struct Rng(pub u64);

impl Rng {
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// What a CLI run printed.
#[derive(Debug, Clone)]
pub struct CliOutput {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `rune <args>` in-process.
pub fn rune<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> CliOutput {
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    let code = {
        let mut io = rune_cli::Io { stdout: &mut stdout, stderr: &mut stderr, stderr_is_terminal: false };
        let argv =
            std::iter::once(std::ffi::OsString::from("rune")).chain(args.iter().map(|a| a.as_ref().to_os_string()));
        rune_cli::run(argv, &mut io)
    };
    CliOutput {
        code,
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// The original harness's `reduce_precision`: decimals with more than 5 fractional digits are
/// truncated to 5.
pub fn reduce_precision(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit) {
            let mut j = i + 1;
            while j < chars.len() && chars[j].is_ascii_digit() {
                j += 1;
            }
            out.push('.');
            out.extend(&chars[i + 1..j.min(i + 6)]);
            i = j;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// A fresh empty directory under the system temp dir, removed with everything in it when the
/// value is dropped (set `RUNE_KEEP_TEST_DIRS=1` to keep it for a look after a failure).
pub fn temp_dir(label: &str) -> TempDir {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "rune-tests-{}-{label}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

/// See [`temp_dir`]: derefs to its path.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::env::var_os("RUNE_KEEP_TEST_DIRS").is_none() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// Compares `actual` with the golden file `tests/ref/<name>`; `BLESS=1` rewrites it.
pub fn assert_golden(name: &str, actual: &str) {
    let path = workspace_root().join("tests/ref").join(name);
    if std::env::var_os("BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing golden file {} (run with BLESS=1 to create it)", path.display()));
    if expected != actual {
        let first = expected.lines().zip(actual.lines()).position(|(a, b)| a != b).unwrap_or(0);
        panic!(
            "{} differs from the output (first difference at line {}):\n  expected: {:?}\n  actual:   {:?}\nrun with BLESS=1 to accept",
            path.display(),
            first + 1,
            expected.lines().nth(first),
            actual.lines().nth(first)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precision_is_truncated_like_the_original_harness() {
        assert_eq!(reduce_precision("0.697278618812561 and 1.5 and 0.69727874"), "0.69727 and 1.5 and 0.69727");
        assert_eq!(reduce_precision("a. b.x 3."), "a. b.x 3.");
    }
}
