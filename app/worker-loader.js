// The pipeline worker's loader, written next to the page by scripts/simd-worker.sh (Trunk's
// post_build hook) for both builds of the engine, in place of Trunk's own loader shim. It
// downloads the engine's wasm itself so that the page can show how far the download has got
// (`{type: "fetching"}` replies, see app/src/protocol.rs), then starts it (streaming compilation
// still applies); if that fails it says why (`{type: "unavailable"}`) instead of dying silently.
// The hook fills in the script's and the wasm's names and the wasm's size in bytes.
importScripts("./__SCRIPT__");
(async () => {
  const url = "./__WASM__";
  const size = __SIZE__;
  const progress = (loaded, total) => postMessage(JSON.stringify({ type: "fetching", loaded, total }));
  const unavailable = (message) => postMessage(JSON.stringify({ type: "unavailable", message }));
  try {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${url} answered HTTP ${response.status}`);
    // The size written at build time; a server may compress, so Content-Length is only a fallback.
    const total = size || Number(response.headers.get("Content-Length")) || 0;
    let loaded = 0;
    let said = 0;
    progress(0, total);
    const counted = response.body.pipeThrough(
      new TransformStream({
        transform(chunk, controller) {
          loaded += chunk.byteLength;
          const now = performance.now();
          if (now - said > 50) {
            said = now;
            progress(loaded, total);
          }
          controller.enqueue(chunk);
        },
        flush() {
          progress(loaded, total);
        },
      }),
    );
    await wasm_bindgen({
      module_or_path: new Response(counted, { headers: { "Content-Type": "application/wasm" } }),
    });
  } catch (error) {
    unavailable(`The pipeline engine could not be loaded: ${error && error.message ? error.message : error}`);
  }
})();
