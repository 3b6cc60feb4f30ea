import { describe, expect, inject, it } from 'vitest';

// test/unitSetup.ts: a server test listed under `unit` by mistake fails loudly rather than reach localhost.
describe('the unit project', () => {
  it.each(['temporalAddress', 'workflowBundlePath', 'pg'] as const)(
    'refuses inject(%j): what a global set-up starts is not there',
    (key) => {
      expect(() => inject(key)).toThrow(`inject('${key}') in the unit project`);
    },
  );
});
