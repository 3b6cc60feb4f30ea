import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { describe, expect, it } from 'vitest';
import { workflowsPath } from '../../src/worker.js';

/**
 * Real histories of deployments (recorded by the integration tests with
 * SAFE_DEPLOY_RECORD_HISTORIES=1) replayed against today's workflow code: a change that is not
 * deterministic — a step moved, added or removed without `patched()` — fails here, before it can
 * break deployments that are running when a new worker starts.
 */
const dir = fileURLToPath(new URL('../histories', import.meta.url));
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort();

describe('replaying recorded deployments', () => {
  it('has recorded histories of a deployed, an aborted and rolled-back runs', () => {
    expect(files).toEqual(
      expect.arrayContaining(['deployed.json', 'aborted-at-rehearsal.json', 'rolled-back-migration-failed.json']),
    );
  });

  it('replays every one of them without a determinism error', { timeout: 120_000 }, async () => {
    const histories = files.map((f) => ({
      workflowId: f.replace(/\.json$/, ''),
      history: historyFromJSON(JSON.parse(readFileSync(join(dir, f), 'utf8'))),
    }));
    const results: { workflowId: string; error?: unknown }[] = [];
    for await (const r of Worker.runReplayHistories({ workflowsPath: workflowsPath() }, histories)) results.push(r);
    expect(results.map((r) => r.workflowId)).toEqual(histories.map((h) => h.workflowId));
    expect(results.filter((r) => r.error).map((r) => `${r.workflowId}: ${(r.error as Error).message}`)).toEqual([]);
  });

  it('notices a history that does not match the code (the check itself works)', { timeout: 60_000 }, async () => {
    // The code schedules loadConfig first; in this history the first activity is something else.
    const json = JSON.parse(readFileSync(join(dir, 'deployed.json'), 'utf8')) as {
      events: { activityTaskScheduledEventAttributes?: { activityType: { name: string } } }[];
    };
    json.events.find(
      (e) => e.activityTaskScheduledEventAttributes,
    )!.activityTaskScheduledEventAttributes!.activityType.name = 'somethingElse';
    const err = await Worker.runReplayHistory(
      { workflowsPath: workflowsPath() },
      historyFromJSON(json),
      'tampered',
    ).catch((e: Error) => e);
    expect(err).toBeInstanceOf(DeterminismViolationError);
  });
});
