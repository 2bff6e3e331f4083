// Bun with the `web` build: `await init()` fetches the .wasm next to the module (a file: URL).
import init, { Cache } from 'chatcache/web';

import { exercise } from './scenario.js';

await init();
console.log(JSON.stringify({ report: exercise(Cache) }));
