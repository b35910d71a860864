//! The commands of the original tutorial (`../shared/spec/tutorial.md`), as written, on a folder
//! named `food` holding the tutorial's final Runefile, a generated `food.tflite` classifier
//! (u8[1, 192, 192, 3] → u8[1, 2024]) and a label map CSV.
#![allow(clippy::unwrap_used)]
use rune_tests::{models, rune, temp_dir, workspace_root};

/// The folder and the temporary directory holding it (removed when that is dropped).
fn food_folder() -> (std::path::PathBuf, rune_tests::TempDir) {
    let root = temp_dir("tutorial");
    let dir = root.join("food");
    std::fs::create_dir_all(&dir).unwrap();
    let runefile =
        std::fs::read_to_string(workspace_root().join("tests/runefiles/compile-pass/tutorial-food.yml")).unwrap();
    std::fs::write(dir.join("Runefile.yml"), runefile).unwrap();
    std::fs::write(dir.join("food.tflite"), runtime::samples::colour_classifier(192, 192, 2024)).unwrap();
    std::fs::write(dir.join("aiy_food_V1_labelmap.csv"), models::food_label_map(2024)).unwrap();
    (dir, root)
}

#[test]
fn tutorial_commands_work_as_written() {
    let (dir, _root) = food_folder();
    let path = |name: &str| dir.join(name).into_os_string();

    // $ rune model-info food.tflite
    let info = rune(&["model-info".into(), path("food.tflite")]);
    assert_eq!(info.code, 0, "{}", info.stderr);
    assert!(info.stdout.starts_with("Ops: 3\nInputs:\n\timage: UInt8[1, 192, 192, 3]"), "{}", info.stdout);
    assert!(info.stdout.contains("Outputs:\n\tscores: UInt8[1, 2024]"), "{}", info.stdout);
    assert!(info.stdout.ends_with("Engine: supported (every operator runs in the playground's engine)\n"));

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

/// A `width`×`height` PNG of one colour.
fn solid_png(width: u32, height: u32, rgb: [u8; 3]) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(width, height, image::Rgb(rgb));
    let mut bytes = std::io::Cursor::new(Vec::new());
    img.write_to(&mut bytes, image::ImageFormat::Png).unwrap();
    bytes.into_inner()
}

#[test]
fn tutorial_rune_names_the_dish() {
    let (dir, _root) = food_folder();
    let path = |name: &str| dir.join(name).into_os_string();
    let build = rune(&["build".into(), path("Runefile.yml")]);
    assert_eq!(build.code, 0, "{}", build.stderr);

    // $ rune run food.rune   (no image: the error names the capability, in HEAD's words, and
    // says what to do in the tutorial's)
    let missing = rune(&["run".into(), path("food.rune")]);
    assert_eq!(missing.code, 1);
    assert!(missing.stderr.starts_with("Error: Unable to load the \"IMAGE\" input"), "{}", missing.stderr);
    assert!(missing.stderr.contains("The user asked for source 0, but no sources were provided"), "{}", missing.stderr);
    assert!(
        missing
            .stderr
            .contains("hint: No sources were provided for this capability type: pass one with `--image <FILE>`"),
        "{}",
        missing.stderr
    );

    // $ rune run food.rune --image ramen.jpeg   (the generated classifier names mean colours;
    // the label map's ids are not its line numbers)
    for (rgb, dish) in [([220, 30, 20], "Tomato_soup"), ([30, 180, 40], "Broccoli"), ([40, 30, 200], "Blueberry_pie")] {
        let image = dir.join(format!("{dish}.png"));
        std::fs::write(&image, solid_png(320, 240, rgb)).unwrap();
        let run = rune(&["run".into(), path("food.rune"), "--image".into(), image.into_os_string()]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let head: serde_json::Value = serde_json::from_str(run.stdout.trim()).unwrap();
        let labels = &head["4"][0]["elements"];
        assert_eq!(labels[0], dish, "{rgb:?}: {}", run.stdout);
        assert_eq!(head["4"][0]["element_type"], "utf8");
    }
}

/// The tutorial's pipeline shape on the zoo's real uint8 MobileNetV2 and its sample images.
#[test]
fn tutorial_shape_with_the_zoo_mobilenet() {
    let Some(shared) = rune_tests::shared_dir() else {
        rune_tests::skip_notice("tutorial pipeline on the zoo's mobilenet");
        return;
    };
    let zoo = shared.join("zoo/image");
    let root = temp_dir("tutorial-mobilenet");
    let dir = root.join("mobilenet");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(zoo.join("mobilenet/mobilenet_v2_quant.tflite"), dir.join("mobilenet_v2_quant.tflite")).unwrap();
    std::fs::copy(zoo.join("mobilenet/label.txt"), dir.join("label.txt")).unwrap();
    let runefile = std::fs::read_to_string(workspace_root().join("tests/runefiles/compile-pass/tutorial-food.yml"))
        .unwrap()
        .replace("192", "224")
        .replace("./food.tflite", "./mobilenet_v2_quant.tflite")
        .replace("2024", "1001")
        .replace("./aiy_food_V1_labelmap.csv", "./label.txt");
    std::fs::write(dir.join("Runefile.yml"), runefile).unwrap();
    let build = rune(&["build".into(), dir.join("Runefile.yml").into_os_string()]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    // The reference interpreter's top-1 on the same (Catmull-Rom resized) inputs: the mushroom is
    // a bolete; the 43×64 vase thumbnail is, for this model too, a maraca.
    for (image, label) in [("mushroom/mushroom.jpeg", "bolete"), ("mobilenet/vase.jpeg", "maraca")] {
        let run = rune(&[
            "run".into(),
            dir.join("mobilenet.rune").into_os_string(),
            "--image".into(),
            zoo.join(image).into_os_string(),
        ]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let head: serde_json::Value = serde_json::from_str(run.stdout.trim()).unwrap();
        println!("{image}: {}", head["4"][0]["elements"]);
        assert_eq!(head["4"][0]["elements"][0], label, "{image}: {}", run.stdout);
        if let Some(top1) = reference_top1(&dir.join("mobilenet_v2_quant.tflite"), &zoo.join(image)) {
            let labels = std::fs::read_to_string(dir.join("label.txt")).unwrap();
            assert_eq!(labels.lines().nth(top1), Some(label), "the reference interpreter's top-1 on {image}");
        }
    }
}

/// The reference interpreter's top-1 class on the IMAGE capability's tensor for `image`, when
/// `RUNE_REFERENCE_PYTHON` names a Python with ai-edge-litert.
fn reference_top1(model: &std::path::Path, image: &std::path::Path) -> Option<usize> {
    use runtime::{CapabilityKind, ElementType, TensorType, capability::Capability, host::FixedHost, host::Input};
    let python = std::env::var_os("RUNE_REFERENCE_PYTHON")?;
    let args = [("width", "224"), ("height", "224"), ("pixel_format", "@PixelFormat::RGB")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let capability =
        Capability::new(CapabilityKind::Image, &args, TensorType::new(ElementType::U8, vec![1, 224, 224, 3]));
    let mut host = FixedHost::new(0).with(CapabilityKind::Image, Input::Bytes(std::fs::read(image).unwrap()));
    let tensor = capability.produce(&mut host, &mut Vec::new()).unwrap();
    let dir = temp_dir("tutorial-reference");
    std::fs::write(dir.join("input.bin"), tensor.data().to_le_bytes().unwrap()).unwrap();
    let out = std::process::Command::new(python)
        .arg(workspace_root().join("tests/differential/reference.py"))
        .arg(model)
        .arg(dir.join("out"))
        .arg(dir.join("input.bin"))
        .output()
        .unwrap();
    assert!(out.status.success(), "reference.py: {}", String::from_utf8_lossy(&out.stderr));
    let scores = std::fs::read(dir.join("out/output_0.bin")).unwrap();
    (0..scores.len()).max_by_key(|&i| (scores[i], std::cmp::Reverse(i)))
}

#[test]
fn inspect_and_graph_refuse_other_files_clearly() {
    let (dir, _root) = food_folder();
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
