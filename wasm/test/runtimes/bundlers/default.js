// `import { Cache } from 'chatcache'`: the bundler build, whose .wasm the bundler loads as an ES
// module (webpack 5 with `experiments.asyncWebAssembly`, Vite 8 as it is).
import { Cache } from 'chatcache';

import { exercise } from './scenario.js';

window.chatcacheReport = { report: exercise(Cache) };
