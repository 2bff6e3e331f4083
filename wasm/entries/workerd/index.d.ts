// `chatcache/workerd` (and `chatcache` under the `workerd` condition): the `web` build's
// `Cache`, already initialised, with every type of the package.
export { Cache } from '../web/chatcache_wasm.js';
export type * from '../web/chatcache_wasm.js';
