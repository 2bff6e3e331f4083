// What the end-to-end test and the scripts share: demo servers and a redis-server on free
// loopback ports (stopped by PID), and headless Chromium (playwright-core driving the system
// /usr/bin/chromium with a fresh profile; it looks up no host name).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const BINARY =
  process.env.CHATCACHE_DEMO_BIN ||
  path.join(process.env.CARGO_TARGET_DIR || path.join(repo, 'target'), 'debug', 'chatcache-demo');
const READY_TIMEOUT_MS = 20_000;

/** A fresh temporary directory; `remove()` deletes it. */
export function tempDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatcache-demo-'));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Runs `command` and resolves once `ready(stdout)` returns something truthy. */
function launch(command, args, env, ready, name) {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const output = () => `--- stdout of ${name}\n${stdout}--- stderr\n${stderr}`;
  const started = new Promise((resolve, reject) => {
    let settled = false;
    const settle = (outcome, value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(poller);
      outcome(value);
    };
    const timer = setTimeout(
      () => settle(reject, new Error(`${name} not ready in ${READY_TIMEOUT_MS} ms\n${output()}`)),
      READY_TIMEOUT_MS,
    );
    // Checked every 100 ms (a port may answer before or after the last line of output).
    const check = () =>
      Promise.resolve(ready(stdout)).then(
        (value) => value && settle(resolve, value),
        (error) => settle(reject, error),
      );
    const poller = setInterval(check, 100);
    child.on('error', (error) => settle(reject, error));
    exited.then(({ code, signal }) =>
      settle(reject, new Error(`${name} exited (${code ?? signal}) before it was ready\n${output()}`)),
    );
    check();
  });
  return { child, started, exited, output };
}

/**
 * Starts a demo server on a free port with the database `db` and extra environment `env`;
 * resolves to `{ url, pid, output(), stop() }`. `stop()` sends SIGTERM to its PID and resolves
 * to its exit code (0 after a clean shutdown).
 */
export async function startServer({ db, env = {} }) {
  assert.ok(fs.existsSync(BINARY), `${BINARY} is missing: cargo build -p chatcache-demo (or set CHATCACHE_DEMO_BIN)`);
  const serverEnv = { ...process.env, USE_REDIS: 'false', RUST_LOG: 'warn', ...env };
  delete serverEnv.PORT;
  const name = `chatcache-demo (${env.USE_REDIS === 'true' ? env.REDIS_URL : 'memory'})`;
  const { child, started, exited, output } = launch(
    BINARY,
    ['--port', '0', '--db', db],
    serverEnv,
    (stdout) => stdout.match(/^chatcache demo: (http:\/\/127\.0\.0\.1:\d+\/)$/m)?.[1],
    name,
  );
  const url = await started;
  return {
    url,
    pid: child.pid,
    output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGTERM');
      const { code, signal } = await exited;
      return code ?? signal;
    },
  };
}

/** Whether something on 127.0.0.1:`port` answers PING like Redis. */
function answersPing(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setTimeout(500);
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.on('error', () => resolve(false));
    socket.on('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** Starts a `redis-server` without persistence on a free port; `{ url, pid, stop() }`. */
export async function startRedis() {
  // A port found free can be taken before redis-server binds it: try a few.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const { child, started, exited } = launch(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      process.env,
      () => answersPing(port),
      `redis-server on ${port}`,
    );
    try {
      await started;
    } catch (error) {
      child.kill('SIGKILL');
      if (attempt >= 3) throw error;
      continue;
    }
    return {
      url: `redis://127.0.0.1:${port}/0`,
      pid: child.pid,
      async stop() {
        if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGTERM');
        await exited;
      },
    };
  }
}

/** Starts Chromium with a fresh profile; returns `{ context, newPage(), close() }`. */
export async function openBrowser({ viewport = { width: 1100, height: 720 } } = {}) {
  assert.ok(fs.existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM)`);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'chatcache-demo-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // The pages load from 127.0.0.1 only; no host name is looked up at all.
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Opens the chat at `server` in `room` as `name` and waits until the page is ready. The page's
 * errors and console errors/warnings are collected in `page.problems`.
 */
export async function openChat(browser, server, { room, name }) {
  const page = await browser.context.newPage();
  page.problems = [];
  page.on('pageerror', (error) => page.problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') page.problems.push(`console: ${message.text()}`);
  });
  await page.goto(`${server.url}?room=${encodeURIComponent(room)}&name=${encodeURIComponent(name)}`);
  await page.evaluate(() => window.chatDemo.ready);
  return page;
}

/** GETs `path` from `server` as JSON. */
export async function getJson(server, path) {
  const response = await fetch(new URL(path, server.url));
  assert.equal(response.status, 200, `${path}: ${response.status}`);
  return response.json();
}
