// The `chatcache/web` entry: explicit initialisation, then the same Cache.

import init, { Cache, initSync } from 'chatcache/web';

await init();
await init({ module_or_path: new URL('https://example.invalid/chatcache_wasm_bg.wasm') });
initSync({ module: new Uint8Array(0) });
const cache = new Cache({ maxEntries: 10 });
const title: string | undefined = typeof cache.get('room:1') === 'string' ? 'ok' : undefined;
void title;
