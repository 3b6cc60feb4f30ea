import type { z } from 'zod';
import { deployFailure, FailureType } from '../shared/errors.js';
import type { StepName } from '../shared/steps.js';

/** Checks an activity's input; a malformed one is the caller's bug and is never retried. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, step: StepName, what: string): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `${[what, ...i.path.map(String)].join('.')}: ${i.message}`).join('; ');
  throw deployFailure(FailureType.InvalidRequest, {
    step,
    what: `invalid activity input: ${issues}`,
    remedy: 'fix the caller: the workflow passes what loadConfig and resolveRelease returned',
    retryable: false,
  });
}
