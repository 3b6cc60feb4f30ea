/**
 * The unit project starts no server. A test placed here by mistake that reads what the integration
 * project's global set-up provides (the dev server's address, the PostgreSQL cluster, the workflow
 * bundle) would get `undefined` and quietly fall back to localhost's defaults: reading any of it fails
 * instead, saying where the file belongs.
 */
type WorkerState = { providedContext: Record<string, unknown> };
const state = (globalThis as { __vitest_worker__?: WorkerState }).__vitest_worker__;
if (!state?.providedContext) {
  throw new Error('test/unitSetup.ts: vitest keeps no providedContext any more: update this guard (vitest.config.ts)');
}
// Files share a worker (isolate: false): install the guard once.
const guarded = Symbol.for('safe-deploy.unit-guard');
if (!(guarded in state.providedContext)) {
  state.providedContext = new Proxy(state.providedContext, {
    has: (target, key) => key === guarded || Reflect.has(target, key),
    get(target, key) {
      if (typeof key === 'string' && !(key in target)) {
        throw new Error(
          `inject('${key}') in the unit project: this file needs what a global set-up starts (dev server, ` +
            `PostgreSQL, workflow bundle); list it under the integration or workflow project in vitest.config.ts`,
        );
      }
      return Reflect.get(target, key);
    },
  });
}
