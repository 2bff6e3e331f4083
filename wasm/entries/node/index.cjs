// chatcache for Node (CommonJS): `require('chatcache')`. The ESM entry (index.mjs) re-exports
// this one, so `import` and `require` share one module instance and one `Cache` class.
'use strict';

const glue = require('./chatcache_wasm.js');
const { bindCache } = require('../lib/cache.cjs');

exports.Cache = bindCache(glue);
