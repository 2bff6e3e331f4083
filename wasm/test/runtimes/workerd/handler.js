// The Worker both workerd tests deploy: each request runs the scenario and counts visits in a
// cache that lives at module scope, so it persists from one request to the next.
import { exercise } from './scenario.js';

export function worker(Cache) {
  const visits = new Cache({ maxEntries: 10 });
  return {
    fetch(request) {
      const visit = visits.incr('visits');
      return Response.json({ path: new URL(request.url).pathname, visit, report: exercise(Cache) });
    },
  };
}
