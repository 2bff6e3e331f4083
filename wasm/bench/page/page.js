// Runs in the browser: the rows of bench/suite.js with the package's `web` build and lru-cache's
// browser build, published on `window.chatcacheReport` for bench/page.mjs to read.

import init, { Cache } from '/pkg/web/index.js';
import { LRUCache } from '/node_modules/lru-cache/dist/esm/browser/index.js';
import { runSuite } from '/bench/suite.js';

const settings = Object.fromEntries(new URL(location.href).searchParams);
const log = document.getElementById('log');

try {
  await init();
  // Let the page settle before timing anything.
  await new Promise((resolve) => setTimeout(resolve, 100));
  const rows = runSuite({
    Cache,
    LRUCache,
    now: () => performance.now(),
    keys: Number(settings.keys),
    ops: Number(settings.ops),
    rounds: Number(settings.rounds),
    log: (line) => {
      log.textContent += `${line}\n`;
      console.log(line);
    },
  });
  window.chatcacheReport = { rows, userAgent: navigator.userAgent };
} catch (error) {
  window.chatcacheReport = { error: String(error && error.stack ? error.stack : error) };
}
