// chatcache for bundlers that load `.wasm` as ES modules (webpack 5, Vite with
// vite-plugin-wasm, Deno): `import { Cache } from 'chatcache'`.
import * as glue from './chatcache_wasm.js';
import { bindCache } from '../lib/cache.js';

export const Cache = bindCache(glue);
