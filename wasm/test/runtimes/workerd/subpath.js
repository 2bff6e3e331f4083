// For tools that do not set the `workerd` condition: the explicit subpath.
import { Cache } from 'chatcache/workerd';

import { worker } from './handler.js';

export default worker(Cache);
