// `chatcache/web` with `await init()`: the web build finds its .wasm through
// `new URL('chatcache_wasm_bg.wasm', import.meta.url)`, which webpack 5 and Vite emit as an asset.
import init, { Cache } from 'chatcache/web';

import { exercise } from './scenario.js';

await init();
window.chatcacheReport = { report: exercise(Cache) };
