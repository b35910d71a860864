//! `rune serve` over real HTTP on 127.0.0.1: only the playground's files and the Rune are
//! served, read-only, with the right MIME types and the cross-origin isolation headers.
#![allow(clippy::unwrap_used)]
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};

use rune_cli::serve::{Server, Site};
use rune_tests::{rune, temp_dir, workspace_root};

/// A fake built playground, a secret next to it, and a Rune (in a temp dir, removed when the
/// third value is dropped).
fn fixture() -> (PathBuf, PathBuf, rune_tests::TempDir) {
    let root = temp_dir("serve");
    let dist = root.join("dist");
    std::fs::create_dir_all(dist.join("snippets/app")).unwrap();
    std::fs::write(dist.join("index.html"), "<!DOCTYPE html><title>Rune Playground</title>").unwrap();
    std::fs::write(dist.join("rune-app_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(dist.join("snippets/app/editor.js"), "export {};").unwrap();
    std::fs::write(dist.join(".env"), "hidden").unwrap();
    std::fs::write(root.join("secret.txt"), "do not serve").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(root.join("secret.txt"), dist.join("link.txt")).unwrap();

    let source = workspace_root().join("tests/runefiles/compile-pass/multiple-inputs-and-outputs.yml");
    let runefile = root.join("Runefile.yml");
    std::fs::copy(source, &runefile).unwrap();
    let rune_file = root.join("my pipeline.rune");
    let build = rune(&["build".as_ref(), runefile.as_os_str(), "-o".as_ref(), rune_file.as_os_str()]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    (dist, rune_file, root)
}

struct Response {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }
}

/// Sends one raw request and reads the whole response.
fn request(address: SocketAddr, method: &str, path: &str) -> Response {
    let mut stream = TcpStream::connect(address).unwrap();
    write!(stream, "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n").unwrap();
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).unwrap();
    let split = bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&bytes[..split]).into_owned();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    Response { status, head, body: bytes[split + 4..].to_vec() }
}

fn start(dist: &Path, rune: Option<&Path>) -> (SocketAddr, rune_cli::serve::Stopper, std::thread::JoinHandle<()>) {
    let site = Site::new(dist, rune).unwrap();
    let server = Server::bind(site, "127.0.0.1:0".parse().unwrap()).unwrap();
    let address = server.address().unwrap();
    let stopper = server.stopper();
    let thread = std::thread::spawn(move || server.run());
    (address, stopper, thread)
}

#[test]
fn serves_the_playground_and_the_rune_only() {
    let (dist, rune_file, _root) = fixture();
    let (address, stopper, thread) = start(&dist, Some(&rune_file));

    let index = request(address, "GET", "/");
    assert_eq!(index.status, 200);
    assert_eq!(index.header("Content-Type").as_deref(), Some("text/html; charset=utf-8"));
    assert!(String::from_utf8_lossy(&index.body).contains("Rune Playground"));
    for (name, value) in [
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Cross-Origin-Embedder-Policy", "require-corp"),
        ("X-Content-Type-Options", "nosniff"),
    ] {
        assert_eq!(index.header(name).as_deref(), Some(value), "{}", index.head);
    }
    // The query string (the Rune to open) doesn't change what is served.
    assert_eq!(request(address, "GET", "/?rune=rune/my%20pipeline.rune").body, index.body);

    let wasm = request(address, "GET", "/rune-app_bg.wasm");
    assert_eq!((wasm.status, wasm.header("Content-Type").as_deref()), (200, Some("application/wasm")));
    let js = request(address, "GET", "/snippets/app/editor.js");
    assert_eq!((js.status, js.header("Content-Type").as_deref()), (200, Some("text/javascript; charset=utf-8")));

    let served = request(address, "GET", "/rune/my%20pipeline.rune");
    assert_eq!(served.status, 200);
    assert_eq!(served.body, std::fs::read(&rune_file).unwrap());
    let head = request(address, "HEAD", "/rune/my%20pipeline.rune");
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());

    // Nothing else: traversal in every spelling, hidden files, links out of the folder.
    for path in [
        "/../secret.txt",
        "/snippets/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "//etc/passwd",
        "/rune/../secret.txt",
        "/.env",
        "/link.txt",
        "/snippets",
        "/index.html/",
        "/nope.js",
    ] {
        let response = request(address, "GET", path);
        assert_eq!(response.status, 404, "{path}: {}", response.head);
        assert!(!String::from_utf8_lossy(&response.body).contains("do not serve"));
    }
    // Read-only.
    for method in ["POST", "PUT", "DELETE"] {
        let response = request(address, method, "/index.html");
        assert_eq!(response.status, 405, "{method}");
        assert_eq!(response.header("Allow").as_deref(), Some("GET, HEAD"));
    }
    stopper.stop();
    thread.join().unwrap();
}

#[test]
fn refuses_what_it_cannot_serve() {
    let (dist, rune_file, _root) = fixture();
    let empty = temp_dir("serve-empty");
    let out = rune(&["serve".as_ref(), "--dist".as_ref(), empty.as_os_str(), "--port".as_ref(), "0".as_ref()]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("The playground isn't built"), "{}", out.stderr);
    assert!(out.stderr.contains("hint: run `scripts/serve.sh`"), "{}", out.stderr);

    let junk = dist.join("junk.rune");
    std::fs::write(&junk, b"not a rune").unwrap();
    let out = rune(&[
        "serve".as_ref(),
        junk.as_os_str(),
        "--dist".as_ref(),
        dist.as_os_str(),
        "--port".as_ref(),
        "0".as_ref(),
    ]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("is not a valid Rune"), "{}", out.stderr);

    let site = Site::new(&dist, Some(&rune_file)).unwrap();
    assert_eq!(site.url("192.168.1.20", 8090), "http://192.168.1.20:8090/?rune=rune/my%20pipeline.rune");
    assert!(site.paths().contains(&"/rune/my%20pipeline.rune"));
    assert!(!site.paths().iter().any(|p| p.contains("secret") || p.contains(".env") || p.contains("link")));
}
