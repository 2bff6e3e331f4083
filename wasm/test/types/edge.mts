// The entry points for edge runtimes and bundlers that load the .wasm themselves: the workerd
// entry (initialised on import) and the .wasm file of the web build.

import { Cache, type CacheOptions, type CacheStats, type Snapshot } from 'chatcache/workerd';
import init, { initSync } from 'chatcache/web';
import wasm from 'chatcache/web/wasm';

const options: CacheOptions = { maxEntries: 100, defaultTtl: 60_000 };
const cache = new Cache(options);
cache.set('room:1', { title: 'general' });
const stats: CacheStats = cache.stats();
const snapshot: Snapshot = cache.dump();
void [stats, snapshot];

// Whatever a bundler makes of the .wasm — a URL string, bytes, a compiled module — `init` takes
// it, and once it is known not to be a URL, `initSync` too.
await init({ module_or_path: wasm });
if (typeof wasm !== 'string') initSync({ module: wasm });
const asLoaded: string | Uint8Array | WebAssembly.Module = wasm;
// @ts-expect-error not bytes alone: with a `file` loader it is a URL string
const asBytes: Uint8Array = wasm;
void [asLoaded, asBytes];

// @ts-expect-error the workerd entry is ready on import: there is nothing to initialise
import('chatcache/workerd').then((entry) => entry.initSync);
