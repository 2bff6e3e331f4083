// Deno, as its users import npm packages: `npm:chatcache` (and the bare name through the
// project's package.json). Run with `deno run --check` and no permissions at all.
import { Cache, type CacheStats, type Value } from 'npm:chatcache';
import { Cache as ByPackageJson } from 'chatcache';

import { exercise } from './scenario.js';

const cache = new Cache({ maxEntries: 10 });
cache.set('user:7', { name: 'Ada' });
const user: Value | undefined = cache.get('user:7');
const stats: CacheStats = cache.stats();
// Never called: `--check` fails if this is not a type error (the declarations did not load).
// @ts-expect-error keys are strings
const misuse = () => cache.get(7);
void misuse;
cache.free();

console.log(JSON.stringify({ sameModule: Cache === ByPackageJson, user, hits: stats.hits, report: exercise(Cache) }));
