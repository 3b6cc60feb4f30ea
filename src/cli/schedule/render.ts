import type { ScheduleDescription, ScheduleSummary } from '@temporalio/client';
import { inUtc } from '../../shared/calendar.js';
import { formatTime, table } from '../table.js';
import { lastRunLabel, type LastRun } from './lastRun.js';

/**
 * Next run times in the schedule's own zone, UTC in parentheses:
 * "Sun 2025-06-01 03:00:00 Europe/Madrid (2025-06-01 01:00 UTC)".
 */
export function nextRunLines(times: Date[], timeZone: string, count = 3): string[] {
  if (!times.length) return ['  next runs: none (paused, or no actions left)'];
  const at = (t: Date) => `${formatTime(t, timeZone)}${timeZone === 'UTC' ? '' : ` ${inUtc(t.getTime())}`}`;
  return [`  next runs: ${at(times[0]!)}`, ...times.slice(1, count).map((t) => `             ${at(t)}`)];
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
  /** The deployment it started last, and how that went (none yet: absent). */
  lastRun?: LastRun;
}

export function listedSchedule(s: ScheduleSummary, lastRun?: LastRun): ListedSchedule {
  const timeZone = s.spec?.timezone ?? 'UTC';
  return {
    scheduleId: s.scheduleId,
    paused: s.state.paused,
    note: s.state.note,
    when: whenOf(s.spec),
    timeZone,
    nextActionTimes: s.info.nextActionTimes.map((t) => t.toISOString()),
    ...(lastRun ? { lastRun } : {}),
  };
}

/** The columns scripts may already cut stay first; LAST RUN comes after the note. */
export function renderScheduleList(rows: ListedSchedule[]): string {
  if (!rows.length) return 'no safe-deploy schedules';
  return table(
    ['SCHEDULE ID', 'STATE', 'WHEN', 'NEXT RUN', 'NOTE', 'LAST RUN'],
    rows.map((r) => [
      r.scheduleId,
      r.paused ? 'paused' : 'active',
      r.when,
      r.nextActionTimes[0] ? formatTime(new Date(r.nextActionTimes[0]), r.timeZone) : '-',
      r.note ?? '',
      r.lastRun ? `${lastRunLabel(r.lastRun)} (started ${formatTime(new Date(r.lastRun.startedAt), r.timeZone)})` : '-',
    ]),
  );
}

export function renderScheduleDescription(d: ScheduleDescription): string {
  const timeZone = d.spec.timezone ?? 'UTC';
  const lines = [
    `schedule ${d.scheduleId}: ${d.state.paused ? 'PAUSED' : 'active'}${d.state.note ? ` — ${d.state.note}` : ''}`,
    `  when:      ${whenOf(d.spec)}`,
    `  action:    start ${d.action.workflowType} on task queue ${d.action.taskQueue} with ` +
      `${JSON.stringify(d.action.args?.[0])}`,
    `  policies:  overlap ${d.policies.overlap}, catch-up window ${d.policies.catchupWindow / 1000} ` +
      `s${d.state.remainingActions !== undefined ? `, ${d.state.remainingActions} run(s) left` : ''}`,
    ...nextRunLines(d.info.nextActionTimes, timeZone, 5),
    `  taken:     ${d.info.numActionsTaken} run(s), ${d.info.numActionsSkippedOverlap} skipped (overlap), ` +
      `${d.info.numActionsMissedCatchupWindow} missed (catch-up window)`,
    ...d.info.recentActions.map((a) => `    ${formatTime(a.takenAt, timeZone)}  ${a.action.workflow.workflowId}`),
  ];
  if (d.info.runningActions.length)
    lines.push(`  running:   ${d.info.runningActions.map((a) => a.workflow.workflowId).join(', ')}`);
  return lines.join('\n');
}
