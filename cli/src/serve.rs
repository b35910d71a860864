//! `rune serve`: serves the built playground, and optionally one `.rune`, on the local network,
//! read-only, and prints a URL and a QR code that open the playground with the Rune loaded.
//!
//! Only the files that exist under the playground folder when the server starts are served
//! (an allow-list built by walking it; nothing is resolved from the request path), plus the Rune
//! at `/rune/<file name>`. So there is no path traversal to defend against: any other path is
//! 404. Only `GET` and `HEAD` are accepted. Every response carries the cross-origin isolation
//! headers the app's workers and wasm need, the right MIME type and `nosniff`.
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::{Failure, Io, io_failure};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A .rune to open in the playground (served at /rune/<file name>).
    pub rune: Option<PathBuf>,
    /// The built playground (`trunk build --release` writes `dist/`).
    #[arg(long, env = "RUNE_PLAYGROUND_DIST")]
    pub dist: Option<PathBuf>,
    /// The address to listen on (all interfaces by default, so phones on the network can connect).
    #[arg(long, default_value = "0.0.0.0")]
    pub address: IpAddr,
    /// The port (0 picks a free one).
    #[arg(short, long, default_value_t = 8090)]
    pub port: u16,
    /// Don't print the QR code.
    #[arg(long)]
    pub no_qr: bool,
}

/// Files larger than this are not served (the playground's largest file is a few MB).
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;
/// At most this many files are taken from the playground folder.
pub const MAX_FILES: usize = 10_000;

/// What the server serves: URL path → file bytes' location and MIME type.
#[derive(Debug, Clone, Default)]
pub struct Site {
    routes: BTreeMap<String, Route>,
    /// The URL path of the Rune, when one is served.
    pub rune_path: Option<String>,
}

#[derive(Debug, Clone)]
struct Route {
    file: PathBuf,
    mime: &'static str,
}

/// The MIME type of a file name.
pub fn mime_type(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" | "webmanifest" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "ico" => "image/x-icon",
        "txt" | "csv" => "text/plain; charset=utf-8",
        "wav" => "audio/wav",
        "woff2" => "font/woff2",
        "tflite" => "application/octet-stream",
        _ => "application/octet-stream",
    }
}

impl Site {
    /// The allow-list of `dist`'s files (symbolic links and hidden files are skipped), plus the Rune.
    pub fn new(dist: &Path, rune: Option<&Path>) -> Result<Site, Failure> {
        let index = dist.join("index.html");
        if !index.is_file() {
            return Err(Failure::new(format!("The playground isn't built: \"{}\" is missing", index.display()))
                .hint("run `scripts/serve.sh` or `trunk build --release` first, or pass `--dist <folder>`"));
        }
        let mut site = Site::default();
        let mut pending = vec![(dist.to_path_buf(), String::new())];
        while let Some((dir, prefix)) = pending.pop() {
            let entries = std::fs::read_dir(&dir)
                .map_err(|e| Failure::new(format!("Unable to read \"{}\"", dir.display())).caused_by(e))?;
            for entry in entries {
                let entry = entry.map_err(|e| io_failure("list the playground's files", e))?;
                let name = entry.file_name().to_string_lossy().into_owned();
                let kind = entry.file_type().map_err(|e| io_failure("list the playground's files", e))?;
                if name.starts_with('.') || kind.is_symlink() {
                    continue;
                }
                let url = format!("{prefix}/{name}");
                if kind.is_dir() {
                    pending.push((entry.path(), url));
                } else if kind.is_file() {
                    if site.routes.len() >= MAX_FILES {
                        return Err(Failure::new(format!("\"{}\" holds more than {MAX_FILES} files", dist.display())));
                    }
                    site.routes.insert(url, Route { file: entry.path(), mime: mime_type(&name) });
                }
            }
        }
        if let Some(index) = site.routes.get("/index.html").cloned() {
            site.routes.insert("/".to_string(), index);
        }
        if let Some(rune) = rune {
            let bytes = std::fs::read(rune)
                .map_err(|e| Failure::new(format!("Unable to read \"{}\"", rune.display())).caused_by(e))?;
            runtime::Artifact::from_bytes(&bytes)
                .map_err(|e| Failure::new(format!("\"{}\" is not a valid Rune", rune.display())).caused_by(e))?;
            let name = rune.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "x.rune".into());
            let url = format!("/rune/{}", percent_encode(&name));
            site.routes.insert(url.clone(), Route { file: rune.to_path_buf(), mime: "application/octet-stream" });
            site.rune_path = Some(url);
        }
        Ok(site)
    }

    /// The URL paths served, sorted.
    pub fn paths(&self) -> Vec<&str> {
        self.routes.keys().map(String::as_str).collect()
    }

    /// The response to a request: status, headers and body (empty for `HEAD`).
    pub fn respond(&self, method: &str, url: &str) -> Reply {
        if method != "GET" && method != "HEAD" {
            return Reply::text(405, "Only GET and HEAD are served\n").with_header("Allow", "GET, HEAD");
        }
        // The query string and fragment don't select files.
        let path = url.split(['?', '#']).next().unwrap_or_default();
        let Some(route) = self.routes.get(path) else {
            return Reply::text(404, "Not found\n");
        };
        match std::fs::metadata(&route.file) {
            Ok(meta) if meta.len() > MAX_FILE_BYTES => return Reply::text(413, "File too large\n"),
            Ok(_) => {}
            Err(_) => return Reply::text(404, "Not found\n"),
        }
        match std::fs::read(&route.file) {
            Ok(body) => Reply { status: 200, headers: vec![("Content-Type", route.mime.to_string())], body }
                .with_header("Cache-Control", "no-cache"),
            Err(_) => Reply::text(404, "Not found\n"),
        }
    }

    /// The playground URL for `host:port`, opening the served Rune if there is one.
    pub fn url(&self, host: &str, port: u16) -> String {
        match &self.rune_path {
            Some(rune) => format!("http://{host}:{port}/?rune={}", rune.trim_start_matches('/')),
            None => format!("http://{host}:{port}/"),
        }
    }
}

/// A response.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    fn text(status: u16, text: &str) -> Reply {
        Reply {
            status,
            headers: vec![("Content-Type", "text/plain; charset=utf-8".to_string())],
            body: text.as_bytes().to_vec(),
        }
    }

    fn with_header(mut self, name: &'static str, value: &str) -> Reply {
        self.headers.push((name, value.to_string()));
        self
    }

    /// The headers every response carries: cross-origin isolation (for workers, wasm threads and
    /// `SharedArrayBuffer`), no MIME sniffing, no framing by other sites.
    fn with_security_headers(self) -> Reply {
        self.with_header("Cross-Origin-Opener-Policy", "same-origin")
            .with_header("Cross-Origin-Embedder-Policy", "require-corp")
            .with_header("Cross-Origin-Resource-Policy", "same-origin")
            .with_header("X-Content-Type-Options", "nosniff")
            .with_header("X-Frame-Options", "DENY")
            .with_header("Referrer-Policy", "no-referrer")
    }
}

fn percent_encode(name: &str) -> String {
    let mut out = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A running server.
pub struct Server {
    http: Arc<tiny_http::Server>,
    site: Arc<Site>,
}

impl Server {
    /// Listens on `address` (port 0 picks one).
    pub fn bind(site: Site, address: SocketAddr) -> Result<Server, Failure> {
        let http = tiny_http::Server::http(address)
            .map_err(|e| Failure::new(format!("Unable to listen on {address}")).caused_by(e))?;
        Ok(Server { http: Arc::new(http), site: Arc::new(site) })
    }

    /// The address it listens on.
    pub fn address(&self) -> Option<SocketAddr> {
        self.http.server_addr().to_ip()
    }

    /// A handle that stops [`Server::run`] from another thread.
    pub fn stopper(&self) -> Stopper {
        Stopper(Arc::clone(&self.http))
    }

    /// Serves requests until stopped, on [`WORKERS`] threads (a large file sent to a slow
    /// phone must not hold up the page's other requests).
    pub fn run(&self) {
        let (sender, receiver) = std::sync::mpsc::sync_channel::<tiny_http::Request>(WORKERS * 8);
        let receiver = std::sync::Mutex::new(receiver);
        std::thread::scope(|scope| {
            for _ in 0..WORKERS {
                scope.spawn(|| {
                    loop {
                        let next = match receiver.lock() {
                            Ok(receiver) => receiver.recv(),
                            Err(_) => return,
                        };
                        match next {
                            Ok(request) => respond(&self.site, request),
                            Err(_) => return,
                        }
                    }
                });
            }
            for request in self.http.incoming_requests() {
                if sender.send(request).is_err() {
                    break;
                }
            }
            drop(sender);
        });
    }
}

/// Threads that answer requests.
pub const WORKERS: usize = 8;

fn respond(site: &Site, request: tiny_http::Request) {
    let reply = site.respond(request.method().as_str(), request.url()).with_security_headers();
    let mut response = tiny_http::Response::from_data(reply.body).with_status_code(reply.status);
    for (name, value) in &reply.headers {
        if let Ok(header) = tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()) {
            response.add_header(header);
        }
    }
    // A client that went away is not the server's problem.
    let _ = request.respond(response);
}

/// Stops a [`Server`].
#[derive(Clone)]
pub struct Stopper(Arc<tiny_http::Server>);

impl Stopper {
    pub fn stop(&self) {
        self.0.unblock();
    }
}

/// The address other machines on the network reach this one at (no packet is sent).
fn lan_address() -> Option<IpAddr> {
    let socket = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).ok()?;
    socket.connect((Ipv4Addr::new(192, 0, 2, 1), 9)).ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_unspecified() && !ip.is_loopback()).then_some(ip)
}

/// A QR code of `text` drawn with Unicode half blocks, dark on light, with a quiet zone.
pub fn qr_text(text: &str) -> Option<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::unicode::Dense1x2>()
            .dark_color(qrcode::render::unicode::Dense1x2::Light)
            .light_color(qrcode::render::unicode::Dense1x2::Dark)
            .quiet_zone(true)
            .build(),
    )
}

/// The default playground folder: `./dist`, else the workspace's `dist/` this CLI was built in.
fn default_dist() -> PathBuf {
    let here = PathBuf::from("dist");
    if here.join("index.html").is_file() {
        return here;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../dist")
}

pub fn run(args: Args, io: &mut Io<'_>) -> Result<(), Failure> {
    let dist = args.dist.clone().unwrap_or_else(default_dist);
    let site = Site::new(&dist, args.rune.as_deref())?;
    let server = Server::bind(site.clone(), SocketAddr::new(args.address, args.port))?;
    let port = server.address().map_or(args.port, |a| a.port());
    let host = if args.address.is_unspecified() {
        lan_address().map_or_else(|| "127.0.0.1".to_string(), |ip| ip.to_string())
    } else {
        args.address.to_string()
    };
    let url = site.url(&host, port);
    let mut text = format!("Serving the playground from \"{}\"", dist.display());
    if let Some(rune) = &args.rune {
        text.push_str(&format!(" with \"{}\"", rune.display()));
    }
    text.push_str(&format!("\nOpen {url}\n"));
    if args.address.is_unspecified() {
        text.push_str(&format!("(on this machine: {})\n", site.url("127.0.0.1", port)));
    }
    if !args.no_qr
        && let Some(qr) = qr_text(&url)
    {
        text.push_str("Scan to open it on a phone on the same network:\n");
        text.push_str(&qr);
        text.push('\n');
    }
    text.push_str("Press Ctrl-C to stop.\n");
    io.stdout.write_all(text.as_bytes()).map_err(|e| io_failure("write the output", e))?;
    io.stdout.flush().map_err(|e| io_failure("write the output", e))?;
    server.run();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mime_types() {
        assert_eq!(mime_type("rune-app_bg.wasm"), "application/wasm");
        assert_eq!(mime_type("index.HTML"), "text/html; charset=utf-8");
        assert_eq!(mime_type("rune-app.js"), "text/javascript; charset=utf-8");
        assert_eq!(mime_type("noext"), "application/octet-stream");
    }

    #[test]
    fn names_are_percent_encoded() {
        assert_eq!(percent_encode("my food.rune"), "my%20food.rune");
        assert_eq!(percent_encode("../x"), "..%2Fx");
    }

    #[test]
    fn qr_codes_render() {
        let qr = qr_text("http://192.168.1.2:8090/?rune=rune/food.rune").unwrap();
        assert!(qr.lines().count() > 10);
    }
}
