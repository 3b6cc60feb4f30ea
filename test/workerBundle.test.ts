import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { prebuiltWorkflowBundle, stampWorkflowBundle } from '../src/worker.js';

/** dist/src as `npm run build` leaves it: compiled workflows (with a subfolder), plan, shared, activities, the stamped bundle. */
function distSrc() {
  const dir = mkdtempSync(join(tmpdir(), 'worker-bundle-'));
  for (const sub of ['workflows', 'workflows/phases', 'plan', 'shared', 'activities']) {
    mkdirSync(join(dir, sub));
    writeFileSync(join(dir, sub, 'x.js'), `export const where = '${sub}';\n`);
  }
  const bundle = join(dir, 'workflow-bundle.js');
  writeFileSync(bundle, '');
  stampWorkflowBundle(bundle);
  return bundle;
}
const sometime = (path: string, secondsAgo: number) =>
  utimesSync(path, new Date(Date.now() - secondsAgo * 1000), new Date(Date.now() - secondsAgo * 1000));

describe('the prebuilt workflow bundle', () => {
  it('is used when it was built from exactly the compiled files a workflow can import', () => {
    const bundle = distSrc();
    expect(prebuiltWorkflowBundle(bundle)).toBe(bundle);
  });

  it("is used whatever the files' times: npm gives an installed package extraction times, in tarball order", () => {
    const bundle = distSrc();
    sometime(bundle, 100); // the bundle extracted before workflows/writes.js, as npm install did
    expect(prebuiltWorkflowBundle(bundle)).toBe(bundle);
  });

  it.each(['workflows', 'workflows/phases', 'plan', 'shared'])(
    'is not used once a file in %s changed, or a new one appeared there (it would run old workflow code)',
    (sub) => {
      const changed = distSrc();
      writeFileSync(join(dirname(changed), sub, 'x.js'), 'export const where = 0;\n');
      expect(prebuiltWorkflowBundle(changed)).toBeUndefined();
      const added = distSrc();
      writeFileSync(join(dirname(added), sub, 'y.js'), '');
      expect(prebuiltWorkflowBundle(added)).toBeUndefined();
    },
  );

  it('ignores activities, which run outside the bundle; an unstamped or missing bundle is not used', () => {
    const bundle = distSrc();
    writeFileSync(join(dirname(bundle), 'activities', 'x.js'), 'export const where = 1;\n');
    expect(prebuiltWorkflowBundle(bundle)).toBe(bundle);
    rmSync(`${bundle}.sources.sha256`);
    expect(prebuiltWorkflowBundle(bundle)).toBeUndefined();
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
