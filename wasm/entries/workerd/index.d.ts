// `chatcache/workerd` (and `chatcache` under the `workerd` condition): the `web` build's
// `Cache`, already initialised, with every type of the package.
export * from '../index.js';
