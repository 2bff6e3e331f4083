// Deno with the `web` build: `await init()` reads the .wasm next to the module, so it needs
// `--allow-read` for the package's directory.
import init, { Cache } from 'npm:chatcache/web';

import { exercise } from './scenario.js';

await init();
console.log(JSON.stringify({ report: exercise(Cache) }));
