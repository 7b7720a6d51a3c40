// Starts the app. It replaces the inline <script> Trunk would write, so the page's
// Content-Security-Policy allows scripts from its own origin only ('self', no 'unsafe-inline' and
// no per-build hash). Trunk writes this build's file names into the tag's data attributes
// (Trunk.toml, pattern_script); the <link rel=modulepreload>/<link rel=preload> Trunk adds carry
// their integrity, and these requests reuse them.
const tag = document.querySelector('script[data-wasm]');
const bindings = await import(tag.dataset.js);
const wasm = await bindings.default({ module_or_path: tag.dataset.wasm });
window.wasmBindings = bindings;
dispatchEvent(new CustomEvent('TrunkApplicationStarted', { detail: { wasm } }));
