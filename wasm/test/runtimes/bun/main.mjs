// Bun, as its users import packages: `import` and `require` of `chatcache`.
import { createRequire } from 'node:module';

import { Cache } from 'chatcache';

import { exercise } from './scenario.js';

const required = createRequire(import.meta.url)('chatcache');
console.log(JSON.stringify({ sameModule: required.Cache === Cache, report: exercise(Cache) }));
