//! The files fixtures refer to, generated (nothing is downloaded or copied from `../shared`).
use compiler::MemoryFiles;
use runtime::samples;

/// A label map like the tutorial's `aiy_food_V1_labelmap.csv`: `id,name` rows, ids not in line order.
pub fn food_label_map(classes: usize) -> String {
    let mut rows: Vec<(usize, String)> = (0..classes)
        .map(|id| {
            let name = match id {
                0 => "__background__".to_string(),
                1 => "Tomato_soup".to_string(),
                2 => "Broccoli".to_string(),
                3 => "Blueberry_pie".to_string(),
                n => format!("Dish_{n}"),
            };
            (id, name)
        })
        .collect();
    // Put every pair of rows after the first three in reverse order, so ids are not line numbers.
    for pair in rows[4..].chunks_mut(2) {
        pair.reverse();
    }
    let mut csv = String::from("id,name\n");
    for (id, name) in rows {
        csv.push_str(&format!("{id},{name}\n"));
    }
    csv
}

/// The fixture files: models, label files and a tf.js folder.
pub fn fixture_files() -> MemoryFiles {
    let mut files = MemoryFiles::new();
    files.insert("sine.tflite", samples::sine_model());
    files.insert("food.tflite", samples::colour_classifier(192, 192, 2024));
    files.insert("speech.tflite", samples::keyword_model());
    files.insert("not-a-model.tflite", b"this is not a flatbuffer, just text".to_vec());
    files.insert("aiy_food_V1_labelmap.csv", food_label_map(2024).into_bytes());
    files.insert("labels.txt", b"zero\none\ntwo\n".to_vec());
    files.insert("sine-wave/model.json", br#"{"format": "layers-model", "weightsManifest": []}"#.to_vec());
    files.insert("sine-wave/group1-shard1of1.bin", vec![0u8; 64]);
    files
}
