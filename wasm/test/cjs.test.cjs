// The CommonJS entry: `require('chatcache')` resolves to the nodejs build, and the ESM entry
// re-exports the very same module (one instance, so `instanceof` agrees across both).

const assert = require('node:assert/strict');
const { it } = require('node:test');

it('require() gives a working Cache', () => {
  const { Cache } = require('chatcache');
  const cache = new Cache({ maxEntries: 10 });
  cache.set('room:1', { title: 'general' });
  assert.deepEqual(cache.get('room:1'), { title: 'general' });
  assert.equal(cache.incr('n'), 1);
  assert.throws(() => cache.set('', 'x'), { name: 'RangeError', code: 'empty_key' });
  cache.free();
});

it('import() and require() share one module instance', async () => {
  const required = require('chatcache');
  const imported = await import('chatcache');
  assert.equal(imported.Cache, required.Cache);
});

it('the package.json exports map resolves every entry point', () => {
  const resolved = require.resolve('chatcache');
  assert.match(resolved, /pkg[\\/]node[\\/]index\.cjs$/);
  assert.match(require.resolve('chatcache/package.json'), /pkg[\\/]package\.json$/);
});
