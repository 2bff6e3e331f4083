// chatcache for Cloudflare Workers: `chatcache/workerd`, and `chatcache` itself under the
// `workerd` export condition (which wrangler resolves first).
//
// Neither of the other builds loads there: workerd and wrangler turn a `.wasm` import into a
// compiled `WebAssembly.Module`, not the instance the bundler build expects, and `await init()`
// of the web build looks for the file next to `import.meta.url`, which is no URL in workerd.
// So the web build is initialised here, synchronously, from that compiled module.
import wasmModule from '../web/chatcache_wasm_bg.wasm';
import { Cache, initSync } from '../web/index.js';

initSync({ module: wasmModule });

export { Cache };
