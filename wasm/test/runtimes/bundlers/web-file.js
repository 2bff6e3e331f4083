// esbuild, which leaves `new URL(…, import.meta.url)` alone and so does not emit the .wasm:
// import it through `chatcache/web/wasm` with the `file` loader (`--loader:.wasm=file`), which
// emits it and gives its path relative to the bundle, then hand that to `init`.
import init, { Cache } from 'chatcache/web';
import wasmUrl from 'chatcache/web/wasm';

import { exercise } from './scenario.js';

await init({ module_or_path: new URL(wasmUrl, import.meta.url) });
window.chatcacheReport = { report: exercise(Cache) };
