// chatcache for Node (ESM): `import { Cache } from 'chatcache'`; the same instance as the
// CommonJS entry.
import node from './index.cjs';

export const { Cache } = node;
