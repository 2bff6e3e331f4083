// The chat page. It keeps each room's history in a chatcache `Cache` (the npm package's `web`
// build, no bundler), saves the cache to IndexedDB with `dump()` and restores it with `load()`,
// so a reload shows the history before the network answers; then it polls the server for what
// is new (`?after=<last seq>`), for who is online, and for the server's figures.
//
// For tests and the curious, `window.chatDemo` has `ready` (a promise), `send(text)`,
// `metrics` (when the first message was rendered and from where), `state()`, `localHistory()`
// and `saved()`.

import init, { Cache } from '/pkg/web/index.js';

const HISTORY_CAP = 200; // messages per room kept in the page
const HISTORY_TTL = 7 * 24 * 3600_000;
const ROOMS_TTL = 10 * 60_000;
const POLL_MS = 1000;
const HEARTBEAT_MS = 5000;
const FIGURES_MS = 2000;
const TYPING_MS = 2000;

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const metrics = { firstMessage: null, firstHistoryResponse: null };
const state = {
  room: params.get('room') || localStorage.getItem('chatcache-demo:room') || 'general',
  name: params.get('name') || localStorage.getItem('chatcache-demo:name') || `guest-${Math.floor(Math.random() * 9000) + 1000}`,
  lastSeq: 0,
  rooms: [],
  online: [],
};
let cache;
let db;

window.chatDemo = {
  metrics,
  send,
  state: () => ({ ...state, local: cache?.stats(), rendered: [...$('messages').children].map((li) => Number(li.dataset.seq)) }),
  /** The current room's history in this page's cache (a `listRange`, so it counts a hit). */
  localHistory: () => cache.listRange(historyKey(state.room)),
  /** Resolves when what the page holds now is in IndexedDB. */
  saved: () => save(),
  ready: start(),
};

const historyKey = (room) => `room:${room}:history`;

async function start() {
  await init();
  cache = new Cache({ maxEntries: 1000, maxBytes: 4 << 20 });
  db = await openDb().catch((error) => {
    console.warn('IndexedDB unavailable, the history will not survive a reload:', error);
    return null;
  });
  const snapshot = db && (await idb(db, 'readonly', (s) => s.get('cache')));
  if (snapshot) {
    try {
      cache.load(snapshot);
    } catch (error) {
      console.warn('dropping an unreadable snapshot:', error);
    }
  }

  $('name').value = state.name;
  $('name').addEventListener('change', rename);
  $('composer').addEventListener('submit', submit);
  $('text').addEventListener('input', typing);
  addEventListener('pagehide', () => {
    save();
    leave(state.room);
  });
  document.addEventListener('visibilitychange', () => document.hidden && save());

  const rooms = cache.get('rooms');
  if (rooms) showRooms(rooms);
  enterRoom(state.room);
  if (!rooms) await loadRooms();

  setInterval(poll, POLL_MS);
  setInterval(heartbeat, HEARTBEAT_MS);
  setInterval(figures, FIGURES_MS);
  figures();
}

// --- rooms -----------------------------------------------------------------------------------

async function loadRooms() {
  const { rooms } = await api('/api/rooms');
  cache.set('rooms', rooms, { ttl: ROOMS_TTL });
  showRooms(rooms);
  save();
}

function showRooms(rooms) {
  state.rooms = rooms;
  $('rooms').replaceChildren(
    ...rooms.map((room) => {
      const link = document.createElement('a');
      link.href = `?room=${encodeURIComponent(room.id)}`;
      link.textContent = `#${room.id}`;
      link.dataset.room = room.id;
      link.addEventListener('click', (event) => {
        event.preventDefault();
        if (room.id !== state.room) enterRoom(room.id);
      });
      return link;
    }),
  );
  showRoomHead();
}

function showRoomHead() {
  const room = state.rooms.find((r) => r.id === state.room);
  $('room-title').textContent = room ? room.title : `#${state.room}`;
  $('room-topic').textContent = room ? room.topic : '';
  for (const link of $('rooms').children) {
    link.classList.toggle('active', link.dataset.room === state.room);
  }
}

/** Shows `room`: first what this page's cache holds, then what the server has that is newer. */
function enterRoom(room) {
  if (state.room !== room) leave(state.room);
  state.room = room;
  state.lastSeq = 0;
  state.online = [];
  localStorage.setItem('chatcache-demo:room', room);
  const url = new URL(location.href);
  url.searchParams.set('room', room);
  history.replaceState(null, '', url);
  $('messages').replaceChildren();
  $('typing').textContent = '';
  showRoomHead();

  const local = cache.listRange(historyKey(room));
  if (local.length > 0) {
    show(local, 'local');
  }
  showLocalFigures();
  poll();
  heartbeat();
}

// --- messages --------------------------------------------------------------------------------

let polling = null;
let pollAgain = false;

/** Fetches what is new; calls made while one is running run once more after it. */
function poll() {
  if (polling) {
    pollAgain = true;
    return polling;
  }
  polling = (async () => {
    do {
      pollAgain = false;
      await pollOnce().catch(offline);
    } while (pollAgain);
  })().finally(() => {
    polling = null;
  });
  return polling;
}

async function pollOnce() {
  const room = state.room;
  const after = state.lastSeq;
  const query = after > 0 ? `?after=${after}` : '';
  const [history, presence] = await Promise.all([
    api(`/api/rooms/${encodeURIComponent(room)}/messages${query}`),
    api(`/api/rooms/${encodeURIComponent(room)}/presence`),
  ]);
  online();
  if (room !== state.room || after !== state.lastSeq) {
    pollAgain = true; // the room changed, or another answer came first
    return;
  }
  metrics.firstHistoryResponse ??= performance.now();

  const knownStore = cache.peek('store'); // peek: not a lookup worth counting
  if (knownStore !== history.store) {
    if (knownStore !== undefined) {
      // Another database (the server's was reset): what this page holds belongs to the old one.
      cache.clear();
      cache.set('store', history.store);
      loadRooms().catch(offline);
      return restartRoom();
    }
    cache.set('store', history.store);
  }
  if (history.latest < after) return restartRoom(); // the room is behind what we hold
  show(history.messages, 'network');
  showPresence(presence);
}

function restartRoom() {
  cache.delete(historyKey(state.room));
  state.lastSeq = 0;
  $('messages').replaceChildren();
  pollAgain = true;
}

/**
 * Appends `messages` (numbered without gaps from `state.lastSeq + 1` on) to the room; `source`
 * is `'local'` (this page's cache) or `'network'` (then they are added to the cache too).
 */
function show(messages, source) {
  const list = $('messages');
  const stick = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  const fromServer = source === 'network';
  let added = 0;
  for (const message of messages) {
    if (message.seq <= state.lastSeq) continue;
    if (state.lastSeq > 0 && message.seq !== state.lastSeq + 1) {
      console.warn(`expected message ${state.lastSeq + 1}, got ${message.seq}: reloading the room`);
      restartRoom();
      return;
    }
    if (fromServer) {
      cache.listPush(historyKey(state.room), message, { cap: HISTORY_CAP, ttl: HISTORY_TTL });
    }
    list.append(messageElement(message));
    state.lastSeq = message.seq;
    added += 1;
  }
  if (added === 0) return;
  if (metrics.firstMessage === null) {
    metrics.firstMessage = { ms: performance.now(), source: fromServer ? 'network' : 'local', count: added };
    $('first-render').textContent = `${fromServer ? 'network' : 'local cache'}, ${Math.round(metrics.firstMessage.ms)} ms`;
  }
  if (stick || !fromServer) list.scrollTop = list.scrollHeight;
  if (fromServer) save();
  showLocalFigures();
}

function messageElement(message) {
  const item = document.createElement('li');
  item.dataset.seq = message.seq;
  if (message.author === state.name) item.classList.add('mine');
  const author = document.createElement('b');
  author.textContent = message.author;
  author.style.color = colour(message.author);
  const time = document.createElement('time');
  time.dateTime = new Date(message.sentAt).toISOString();
  time.textContent = new Date(message.sentAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  const text = document.createElement('p');
  text.textContent = message.text;
  item.append(author, time, text);
  return item;
}

function colour(name) {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.codePointAt(0)) >>> 0;
  return `hsl(${hash % 360} 55% 38%)`;
}

/** Posts `text` as this page's user; resolves to the stored message. */
async function send(text) {
  const message = await api(`/api/rooms/${encodeURIComponent(state.room)}/messages`, {
    author: state.name,
    text,
  });
  poll(); // the answer may come after messages posted meanwhile by others: fetch them in order
  return message;
}

async function submit(event) {
  event.preventDefault();
  const input = $('text');
  const text = input.value;
  if (!text.trim()) return;
  try {
    await send(text);
    input.value = '';
    showError(null);
  } catch (error) {
    showError(error);
  }
}

// --- presence --------------------------------------------------------------------------------

let lastTyping = 0;

function heartbeat(typingNow = false) {
  return api(`/api/rooms/${encodeURIComponent(state.room)}/presence`, { user: state.name, typing: typingNow })
    .then(showPresence)
    .catch(() => {});
}

function typing() {
  const now = Date.now();
  if (now - lastTyping < TYPING_MS) return;
  lastTyping = now;
  heartbeat(true);
}

function leave(room) {
  fetch(`/api/rooms/${encodeURIComponent(room)}/leave`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: state.name }),
    keepalive: true,
  }).catch(() => {});
}

function rename() {
  const name = $('name').value.trim();
  if (!name || name === state.name) {
    $('name').value = state.name;
    return;
  }
  leave(state.room);
  state.name = name;
  localStorage.setItem('chatcache-demo:name', name);
  heartbeat();
}

function showPresence({ online, typing }) {
  state.online = online;
  $('online-count').textContent = `(${online.length})`;
  $('online').replaceChildren(
    ...online.map((name) => {
      const item = document.createElement('li');
      item.textContent = name;
      if (name === state.name) item.classList.add('me');
      return item;
    }),
  );
  const others = typing.filter((name) => name !== state.name);
  $('typing').textContent =
    others.length === 0 ? '' : `${others.join(', ')} ${others.length === 1 ? 'is' : 'are'} typing\u2026`;
}

// --- figures ---------------------------------------------------------------------------------

function showLocalFigures() {
  const stats = cache.stats();
  $('local-hits').textContent = `${stats.hits} / ${stats.misses}`;
  $('local-held').textContent = `${stats.entries} entries, ${(stats.bytes / 1024).toFixed(1)} KB`;
}

async function figures() {
  try {
    const server = await api('/api/server');
    online();
    $('server-backend').textContent = server.fallback ? 'memory (fallback)' : server.backend;
    $('server-backend').title = server.selection;
    $('server-ratio').textContent =
      server.hitRatio === null ? '\u2013' : `${(server.hitRatio * 100).toFixed(1)} % (${server.hits} hits)`;
    const { cache: cached, fill, store } = server.history;
    $('server-history').textContent = `cache ${cached} \u00b7 fills ${fill} \u00b7 SQLite ${store}`;
    banner(
      server.fallback
        ? 'Redis is unreachable: the server runs on its in-memory fallback and keeps retrying in the background.'
        : null,
      'fallback',
    );
  } catch (error) {
    offline(error);
  }
}

// --- plumbing --------------------------------------------------------------------------------

/** GETs `path`, or POSTs `body` as JSON; resolves to the JSON answer, rejects with its error. */
async function api(path, body) {
  const init =
    body === undefined
      ? {}
      : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  const response = await fetch(path, init);
  const answer = response.status === 204 ? null : await response.json();
  if (!response.ok) {
    const { code, message } = answer.error;
    throw Object.assign(new Error(message), { code, status: response.status });
  }
  return answer;
}

function showError(error) {
  $('error').textContent = error ? error.message : '';
}

function banner(text, kind) {
  const element = $('banner');
  if (text === null) {
    if (element.dataset.kind === kind) element.hidden = true;
    return;
  }
  element.textContent = text;
  element.dataset.kind = kind;
  element.hidden = false;
}

function offline(error) {
  if (error.status !== undefined) {
    console.warn(error.message);
    return;
  }
  banner('The server does not answer; retrying\u2026', 'offline');
}

function online() {
  banner(null, 'offline');
}

// --- the snapshot in IndexedDB -----------------------------------------------------------------

let saving = null;
let saveAgain = false;

/** Writes `cache.dump()` to IndexedDB; calls made while a write runs write once more after it. */
function save() {
  if (!db || !cache) return Promise.resolve();
  if (saving) {
    saveAgain = true;
    return saving;
  }
  saving = (async () => {
    do {
      saveAgain = false;
      await idb(db, 'readwrite', (s) => s.put(cache.dump(), 'cache'));
    } while (saveAgain);
  })()
    .catch((error) => console.warn('saving the cache failed:', error))
    .finally(() => {
      saving = null;
    });
  return saving;
}

function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open('chatcache-demo', 1);
    request.onupgradeneeded = () => request.result.createObjectStore('snapshots');
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function idb(database, mode, operation) {
  return new Promise((resolve, reject) => {
    const request = operation(database.transaction('snapshots', mode).objectStore('snapshots'));
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}
