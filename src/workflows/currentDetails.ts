import type { Progress, StepRecord, WaitingFor } from '../shared/report.js';

const ICON: Record<StepRecord['status'], string> = { running: '⏳', ok: '✅', failed: '❌', skipped: '⏭' };

/** One line per step: its mark, `↩` for an undo, its summary, how long it took, why it was skipped. */
function stepLine(step: StepRecord): string {
  const undo = step.phase === 'rollback' ? '↩ ' : '';
  const took = step.durationMs === undefined ? '' : ` (${(step.durationMs / 1000).toFixed(1)} s)`;
  const skipped = step.status === 'skipped' && step.result ? ` — ${step.result}` : '';
  return `${ICON[step.status]} ${undo}${step.summary}${took}${skipped}`;
}

/** The Web UI's "current details" (Markdown): the runbook with a mark per step, and what it waits for. */
export function currentDetails(
  run: { app: string; environment: string; ref: string; status: Progress['status'] },
  steps: readonly StepRecord[],
  waiting: WaitingFor | undefined,
): string {
  const waitingFor = waiting?.kind === 'approval' ? 'approval' : 'the deploy window';
  return [
    `**${run.app} ${run.environment} → ${run.ref}: ${run.status}**`,
    '',
    ...steps.map(stepLine),
    ...(waiting ? ['', `**Waiting for ${waitingFor}:** ${waiting.detail}`] : []),
  ].join('\n');
}
