// chatcache for browsers without a bundler, Deno and workers: `import init, { Cache } from
// 'chatcache/web'`, then `await init()` once (it fetches the .wasm next to this file; pass a
// URL, a Response or the bytes to load it from elsewhere, or use `initSync({ module })`).
import init, * as glue from './chatcache_wasm.js';
import { bindCache } from '../lib/cache.js';

export default init;
export { initSync } from './chatcache_wasm.js';
export const Cache = bindCache(glue);
