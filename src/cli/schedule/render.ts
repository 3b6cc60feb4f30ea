import type { ScheduleDescription, ScheduleSummary } from '@temporalio/client';
import { formatTime, table } from '../table.js';

/** Next run times in the schedule's own zone: "Sun 2025-06-01 03:00:00 Europe/Madrid". */
export function nextRunLines(times: Date[], timeZone: string, count = 3): string[] {
  if (!times.length) return ['  next runs: none (paused, or no actions left)'];
  return [`  next runs: ${formatTime(times[0], timeZone)}`, ...times.slice(1, count).map((t) => `             ${formatTime(t, timeZone)}`)];
}

/** A calendar as written at creation ("sun 03:00"), else the raw spec. */
export const whenOf = (spec: { calendars?: { comment?: string }[]; timezone?: string } | undefined): string =>
  `${spec?.calendars?.map((c) => c.comment ?? JSON.stringify(c)).join(' + ') ?? '?'} ${spec?.timezone ?? 'UTC'}`;

export interface ListedSchedule {
  scheduleId: string;
  paused: boolean;
  note?: string;
  when: string;
  timeZone: string;
  nextActionTimes: string[];
}

export function listedSchedule(s: ScheduleSummary): ListedSchedule {
  const timeZone = s.spec?.timezone ?? 'UTC';
  return { scheduleId: s.scheduleId, paused: s.state.paused, note: s.state.note, when: whenOf(s.spec), timeZone, nextActionTimes: s.info.nextActionTimes.map((t) => t.toISOString()) };
}

export function renderScheduleList(rows: ListedSchedule[]): string {
  if (!rows.length) return 'no safe-deploy schedules';
  return table(
    ['SCHEDULE ID', 'STATE', 'WHEN', 'NEXT RUN', 'NOTE'],
    rows.map((r) => [r.scheduleId, r.paused ? 'paused' : 'active', r.when, r.nextActionTimes[0] ? formatTime(new Date(r.nextActionTimes[0]), r.timeZone) : '-', r.note ?? '']),
  );
}

export function renderScheduleDescription(d: ScheduleDescription): string {
  const timeZone = d.spec.timezone ?? 'UTC';
  const lines = [
    `schedule ${d.scheduleId}: ${d.state.paused ? 'PAUSED' : 'active'}${d.state.note ? ` — ${d.state.note}` : ''}`,
    `  when:      ${whenOf(d.spec)}`,
    `  action:    start ${d.action.workflowType} on task queue ${d.action.taskQueue} with ${JSON.stringify(d.action.args?.[0])}`,
    `  policies:  overlap ${d.policies.overlap}, catch-up window ${d.policies.catchupWindow / 1000} s${d.state.remainingActions !== undefined ? `, ${d.state.remainingActions} run(s) left` : ''}`,
    ...nextRunLines(d.info.nextActionTimes, timeZone, 5),
    `  taken:     ${d.info.numActionsTaken} run(s), ${d.info.numActionsSkippedOverlap} skipped (overlap), ${d.info.numActionsMissedCatchupWindow} missed (catch-up window)`,
    ...d.info.recentActions.map((a) => `    ${formatTime(a.takenAt, timeZone)}  ${a.action.workflow.workflowId}`),
  ];
  if (d.info.runningActions.length) lines.push(`  running:   ${d.info.runningActions.map((a) => a.workflow.workflowId).join(', ')}`);
  return lines.join('\n');
}
