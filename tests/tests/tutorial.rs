//! The commands of the original tutorial (`../shared/spec/tutorial.md`), as written, on a folder
//! named `food` holding the tutorial's final Runefile, a generated `food.tflite` classifier
//! (u8[1, 192, 192, 3] → u8[1, 2024]) and a label map CSV.
#![allow(clippy::unwrap_used)]
use rune_tests::{models, rune, temp_dir, workspace_root};

fn food_folder() -> std::path::PathBuf {
    let dir = temp_dir("tutorial").join("food");
    std::fs::create_dir_all(&dir).unwrap();
    let runefile =
        std::fs::read_to_string(workspace_root().join("tests/runefiles/compile-pass/tutorial-food.yml")).unwrap();
    std::fs::write(dir.join("Runefile.yml"), runefile).unwrap();
    std::fs::write(dir.join("food.tflite"), runtime::samples::colour_classifier(192, 192, 2024)).unwrap();
    std::fs::write(dir.join("aiy_food_V1_labelmap.csv"), models::food_label_map(2024)).unwrap();
    dir
}

#[test]
fn tutorial_commands_work_as_written() {
    let dir = food_folder();
    let path = |name: &str| dir.join(name).into_os_string();

    // $ rune model-info food.tflite
    let info = rune(&["model-info".into(), path("food.tflite")]);
    assert_eq!(info.code, 0, "{}", info.stderr);
    assert!(info.stdout.starts_with("Ops: 3\nInputs:\n\timage: UInt8[1, 192, 192, 3]"), "{}", info.stdout);
    assert!(info.stdout.contains("Outputs:\n\tscores: UInt8[1, 2024]"), "{}", info.stdout);

    // $ rune graph Runefile.yml | dot -Tpng > food.png
    let graph = rune(&["graph".into(), path("Runefile.yml")]);
    assert_eq!(graph.code, 0, "{}", graph.stderr);
    assert!(graph.stdout.starts_with("digraph {"));
    assert!(
        graph.stdout.contains("node_image:output_0:s -> node_classify:input_0:n [label=\"u8[1, 192, 192, 3]\"];"),
        "{}",
        graph.stdout
    );

    // $ rune build Runefile.yaml   (the tutorial's file is Runefile.yml)
    let build = rune(&["build".into(), path("Runefile.yaml")]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    assert!(build.stderr.contains("using"), "{}", build.stderr);
    assert!(dir.join("food.rune").exists(), "the default name is the folder's");

    // $ rune inspect food.rune
    let inspect = rune(&["inspect".into(), path("food.rune")]);
    assert_eq!(inspect.code, 0, "{}", inspect.stderr);
    for line in [
        "Name: food",
        "- image: Image",
        "  - u8[1, 192, 192, 3]",
        "    width: 192",
        "    pixel_format: @PixelFormat::RGB",
        "- classify: ./food.tflite",
        "Compiled by: Rune v",
    ] {
        assert!(inspect.stdout.contains(line), "missing {line:?} in\n{}", inspect.stdout);
    }

    // $ rune build Runefile.yml --name ... ; errors name the file, line and column
    std::fs::write(
        dir.join("Runefile.yml"),
        std::fs::read_to_string(dir.join("Runefile.yml")).unwrap().replace("- classify", "- clasify"),
    )
    .unwrap();
    let broken = rune(&["build".into(), "--colour=never".into(), path("Runefile.yml")]);
    assert_eq!(broken.code, 1);
    assert!(
        broken.stderr.contains("error: Unable to find \"clasify\" to use as an input for \"most_confident\""),
        "{}",
        broken.stderr
    );
    assert!(broken.stderr.contains("Runefile.yml:24:9"), "{}", broken.stderr);
    assert!(broken.stderr.contains("did you mean \"classify\"?"), "{}", broken.stderr);
    assert!(broken.stderr.trim_end().ends_with("Error: There was a build error"), "{}", broken.stderr);
}

#[test]
fn inspect_and_graph_refuse_other_files_clearly() {
    let dir = food_folder();
    let out = rune(&["inspect".into(), dir.join("Runefile.yml").into_os_string()]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("Unable to inspect a \"yml\" file"), "{}", out.stderr);
    std::fs::write(dir.join("junk.rune"), b"\0asm\x01\0\0\0garbage").unwrap();
    let out = rune(&["inspect".into(), dir.join("junk.rune").into_os_string()]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("Caused by:"), "{}", out.stderr);
    let svg = rune(&["graph".into(), dir.join("Runefile.yml").into_os_string(), "--format".into(), "svg".into()]);
    assert_eq!(svg.code, 0, "{}", svg.stderr);
    assert!(svg.stdout.starts_with("<svg"));
}
