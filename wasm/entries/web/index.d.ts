export * from '../index.js';
export { default, initSync } from './chatcache_wasm.js';
