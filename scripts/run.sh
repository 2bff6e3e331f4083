#!/usr/bin/env bash
# The main job: runs the chat-server example on the default in-memory cache
# (set USE_REDIS=true and REDIS_URL=... to run it against Redis).
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo run --quiet -p chatcache --example chat_server
