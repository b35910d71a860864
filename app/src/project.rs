//! A whole Rune project added at once: a `.zip` of its folder, or the folder itself (the
//! Inputs panel's "Add folder…"). The Runefile (`Runefile.yml` or `Runefile`, the shallowest one)
//! goes into the editor; every other file of its folder is added by its path relative to it, so
//! `model: ./models/food.tflite` finds `models/food.tflite`. Pure and bounded: a zip bomb, a
//! huge folder or a damaged archive is a sentence, never a panic.
use std::io::Read;

/// Most entries taken from a project.
pub const MAX_ENTRIES: usize = 2_000;
/// Most bytes (uncompressed, all files together) taken from a project.
pub const MAX_TOTAL_BYTES: u64 = 256 * 1024 * 1024;

/// A project's Runefile and files.
#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    /// The Rune's name: the Runefile's folder, when it has one.
    pub name: Option<String>,
    pub runefile: String,
    /// Paths relative to the Runefile's folder, and contents.
    pub files: Vec<(String, Vec<u8>)>,
}

/// Whether a path is noise that archives and file managers add (`__MACOSX/`, `.DS_Store`, …).
fn is_noise(path: &str) -> bool {
    path.split('/').any(|part| part.starts_with('.') || part == "__MACOSX")
}

/// The project in a list of `(path, bytes)` (paths with `/`, as in a zip or a folder upload).
pub fn from_entries(origin: &str, entries: Vec<(String, Vec<u8>)>) -> Result<Project, String> {
    let entries: Vec<(String, Vec<u8>)> = entries
        .into_iter()
        .map(|(path, bytes)| {
            (path.replace('\\', "/").trim_start_matches("./").trim_start_matches('/').to_string(), bytes)
        })
        .filter(|(path, _)| !path.is_empty() && !path.ends_with('/') && !is_noise(path))
        .collect();
    let is_runefile =
        |path: &str| matches!(path.rsplit('/').next(), Some("Runefile.yml" | "Runefile.yaml" | "Runefile"));
    let Some(index) = entries
        .iter()
        .enumerate()
        .filter(|(_, (path, _))| is_runefile(path))
        .min_by_key(|(_, (path, _))| (path.matches('/').count(), path.clone()))
        .map(|(i, _)| i)
    else {
        return Err(format!("{origin} has no Runefile (Runefile.yml or Runefile)."));
    };
    let (runefile_path, runefile_bytes) = entries[index].clone();
    let runefile =
        String::from_utf8(runefile_bytes).map_err(|_| format!("{origin}: \"{runefile_path}\" is not UTF-8 text."))?;
    let folder = runefile_path.rsplit_once('/').map(|(dir, _)| dir.to_string());
    let prefix = folder.as_ref().map(|dir| format!("{dir}/")).unwrap_or_default();
    let files = entries
        .into_iter()
        .enumerate()
        .filter(|(i, _)| *i != index)
        .filter_map(|(_, (path, bytes))| path.strip_prefix(&prefix).map(|rest| (rest.to_string(), bytes)))
        .collect();
    let name = folder.and_then(|dir| dir.rsplit('/').next().map(str::to_string)).filter(|n| !n.is_empty());
    Ok(Project { name, runefile, files })
}

/// The project in a `.zip`.
pub fn from_zip(file_name: &str, bytes: &[u8]) -> Result<Project, String> {
    let origin = format!("\"{file_name}\"");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| format!("{origin} is not a readable zip archive: {e}."))?;
    if archive.len() > MAX_ENTRIES {
        return Err(format!("{origin} has {} entries; a project may have {MAX_ENTRIES} at most.", archive.len()));
    }
    let mut entries = Vec::new();
    let mut total = 0u64;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|e| format!("{origin}: entry {i} cannot be read: {e}."))?;
        if entry.is_dir() {
            continue;
        }
        let Some(path) = entry.enclosed_name().map(|p| p.to_string_lossy().replace('\\', "/")) else {
            return Err(format!("{origin}: the entry \"{}\" points outside the archive.", entry.name()));
        };
        // Read at most what is left of the budget (+1 to notice going over); sizes in headers lie.
        let left = MAX_TOTAL_BYTES - total;
        let mut data = Vec::new();
        (&mut entry)
            .take(left + 1)
            .read_to_end(&mut data)
            .map_err(|e| format!("{origin}: \"{path}\" cannot be decompressed: {e}."))?;
        total += data.len() as u64;
        if total > MAX_TOTAL_BYTES {
            return Err(format!("{origin} unpacks to more than {} MiB.", MAX_TOTAL_BYTES / (1024 * 1024)));
        }
        entries.push((path, data));
    }
    from_entries(&origin, entries)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in entries {
            writer.start_file(*name, options).expect("start");
            writer.write_all(bytes).expect("write");
        }
        writer.finish().expect("finish").into_inner()
    }

    #[test]
    fn a_zipped_folder_gives_its_runefile_and_files_relative_to_it() {
        let zip = zip_of(&[
            ("food/Runefile.yml", b"version: 1\n"),
            ("food/food.tflite", b"TFL3"),
            ("food/labels/aiy.csv", b"id,name\n"),
            ("food/.DS_Store", b"x"),
            ("__MACOSX/food/._food.tflite", b"x"),
            ("food/examples/Runefile.yml", b"version: 1\n# deeper\n"),
            ("elsewhere.txt", b"outside"),
        ]);
        let project = from_zip("food.zip", &zip).expect("a project");
        assert_eq!(project.name.as_deref(), Some("food"));
        assert_eq!(project.runefile, "version: 1\n");
        let paths: Vec<&str> = project.files.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, vec!["food.tflite", "labels/aiy.csv", "examples/Runefile.yml"]);

        let flat = from_entries(
            "the folder",
            vec![("Runefile".into(), b"version: 1\n".to_vec()), ("m.tflite".into(), vec![1])],
        );
        assert_eq!(flat.map(|p| (p.name, p.files.len())), Ok((None, 1)));
    }

    #[test]
    fn broken_or_hostile_archives_are_sentences() {
        assert!(
            from_zip("x.zip", b"PK\x03\x04 not really")
                .is_err_and(|e| e.contains("\"x.zip\" is not a readable zip archive"))
        );
        assert!(from_zip("x.zip", &zip_of(&[("a.txt", b"hi")])).is_err_and(|e| e.contains("has no Runefile")));
        assert!(from_zip("x.zip", &zip_of(&[("Runefile.yml", &[0xff, 0xfe])])).is_err_and(|e| e.contains("not UTF-8")));
        // 300 MiB of zeros deflate to a few hundred KiB; reading stops at the budget.
        let zeros = vec![0u8; 300 * 1024 * 1024];
        let bomb = zip_of(&[("Runefile.yml", b"version: 1\n"), ("zeros.bin", &zeros)]);
        drop(zeros);
        assert!(bomb.len() < 2 * 1024 * 1024, "{}", bomb.len());
        assert!(from_zip("bomb.zip", &bomb).is_err_and(|e| e.contains("unpacks to more than 256 MiB")));
    }
}
