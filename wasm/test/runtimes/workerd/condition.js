// What a wrangler user writes: the bare name, resolved by the `workerd` export condition.
import { Cache } from 'chatcache';

import { worker } from './handler.js';

export default worker(Cache);
