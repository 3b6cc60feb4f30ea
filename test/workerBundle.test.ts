import { mkdirSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { prebuiltWorkflowBundle } from '../src/worker.js';

/** dist/src as `npm run build` leaves it: compiled workflows, plan, shared, and the bundle. */
function distSrc(bundleAge: number, newest: { dir: string; age: number }) {
  const dir = mkdtempSync(join(tmpdir(), 'worker-bundle-'));
  const at = (path: string, age: number) =>
    utimesSync(path, new Date(Date.now() - age * 1000), new Date(Date.now() - age * 1000));
  for (const sub of ['workflows', 'plan', 'shared', 'activities']) {
    mkdirSync(join(dir, sub));
    writeFileSync(join(dir, sub, 'x.js'), '');
    at(join(dir, sub, 'x.js'), sub === newest.dir ? newest.age : 100);
  }
  writeFileSync(join(dir, 'workflow-bundle.js'), '');
  at(join(dir, 'workflow-bundle.js'), bundleAge);
  return join(dir, 'workflow-bundle.js');
}

describe('the prebuilt workflow bundle', () => {
  it('is used when it is newer than every compiled file a workflow can import', () => {
    const bundle = distSrc(10, { dir: 'workflows', age: 20 });
    expect(prebuiltWorkflowBundle(bundle)).toBe(bundle);
  });

  it.each(['workflows', 'plan', 'shared'])(
    'is not used once a file in %s was compiled after it (it would run old workflow code)',
    (dir) => {
      expect(prebuiltWorkflowBundle(distSrc(10, { dir, age: 5 }))).toBeUndefined();
    },
  );

  it('ignores activities, which run outside the bundle, and a missing bundle', () => {
    expect(prebuiltWorkflowBundle(distSrc(10, { dir: 'activities', age: 1 }))).toBeDefined();
    expect(prebuiltWorkflowBundle('/nonexistent/workflow-bundle.js')).toBeUndefined();
  });
});

describe('the workflow bundle', () => {
  it('carries no zod: workflows import only src/plan, src/shared and types (the deploy window once pulled in config/schema)', () => {
    const code = readFileSync(inject('workflowBundlePath'), 'utf8');
    expect(code).not.toMatch(/node_modules\/zod\//);
    expect(code).toContain('zonedTime'); // the calendar module (src/shared/calendar.ts) is in it
  });
});
