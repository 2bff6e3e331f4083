// esbuild with the `binary` loader (`--loader:.wasm=binary`): the .wasm is inlined in the bundle
// as bytes (base64, about a third larger) and the cache is ready synchronously with `initSync`.
import { Cache, initSync } from 'chatcache/web';
import wasmBytes from 'chatcache/web/wasm';

import { exercise } from './scenario.js';

initSync({ module: wasmBytes });
window.chatcacheReport = { report: exercise(Cache) };
