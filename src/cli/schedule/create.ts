import { ScheduleNotFoundError, ScheduleOverlapPolicy, type ScheduleOptions } from '@temporalio/client';
import { readDurationMs } from '../../shared/duration.js';
import { z } from 'zod';
import { deployWindowSchema, type DeployRequest } from '../../config/schema.js';
import { WORKFLOW_TYPE } from '../../shared/constants.js';
import { deploySearchAttributes } from '../../shared/searchAttributes.js';
import { CliError, EXIT, output, parseOptions, withClient, type GlobalOptions } from '../context.js';
import { deploySummary, requestFromOptions } from '../start.js';
import { parseCalendar, type Calendar } from './calendar.js';
import { createdNote } from './notes.js';
import { nextRunLines } from './render.js';
import { validateThroughWorker } from './validate.js';

export interface ScheduleCreateOptions {
  app: string;
  env: string;
  ref: string;
  at: string;
  timeZone?: string;
  note?: string;
  catchupWindow?: string;
  id?: string;
  once?: boolean;
  dryRun?: boolean;
  monitorMinutes?: string;
  window?: string;
  /** false with --no-validate: no worker is asked before the schedule is created. */
  validate?: boolean;
  validateTimeout?: string;
}

const timeZone = deployWindowSchema.shape.timeZone.unwrap();
/** The server refuses catch-up windows under 10 s. */
const catchupWindow = z
  .string()
  .refine((d) => (readDurationMs(d) ?? 0) >= 10_000, "a duration of at least 10 seconds, such as '1h' or '30 minutes'");

/** How long the worker has to answer the check at create. */
const validateTimeout = z.string().transform((d, ctx) => {
  const ms = readDurationMs(d);
  if (ms === undefined || ms < 1_000 || ms > 600_000) {
    ctx.addIssue({ code: 'custom', message: "a duration from 1 second to 10 minutes, such as '15s'" });
    return z.NEVER;
  }
  return ms;
});

const scheduleOptionsSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/, 'letters, digits, . _ - (max 200)'),
  timeZone: timeZone.optional(),
  note: z.string().max(500).optional(),
  catchupWindow: catchupWindow.default('1 hour'),
  validateTimeout: validateTimeout.default(15_000),
});

/** The default id: one schedule per app and environment. */
export const defaultScheduleId = (r: Pick<DeployRequest, 'app' | 'environment'>) => `deploy-${r.app}-${r.environment}`;

export interface DeploySchedule {
  scheduleId: string;
  calendar: Calendar;
  timeZone: string;
  note?: string;
  catchupWindow: string;
  once: boolean;
  request: DeployRequest;
  createdBy?: string;
  /** Ask the worker first (the default), waiting this long for its answer. */
  validate: boolean;
  validateTimeoutMs: number;
}

/** The command line's options, validated: every problem names its flag. */
export function deployScheduleFrom(o: ScheduleCreateOptions, env: NodeJS.ProcessEnv = process.env): DeploySchedule {
  let calendar: Calendar;
  try {
    calendar = parseCalendar(o.at);
  } catch (err) {
    throw new CliError(`--at: ${(err as Error).message}`);
  }
  if (calendar.timeZone && o.timeZone && calendar.timeZone !== o.timeZone)
    throw new CliError(`--at names ${calendar.timeZone} but --time-zone says ${o.timeZone}; give one`);
  const scheduleId = o.id ?? defaultScheduleId({ app: o.app, environment: o.env });
  const checked = parseOptions(scheduleOptionsSchema, {
    id: scheduleId,
    timeZone: o.timeZone ?? calendar.timeZone,
    note: o.note,
    catchupWindow: o.catchupWindow,
    validateTimeout: o.validateTimeout,
  });
  const request = requestFromOptions({ ...o, requestedBy: `schedule ${scheduleId}`, reason: o.note, follow: false });
  return {
    scheduleId,
    calendar,
    timeZone: checked.timeZone ?? 'UTC',
    note: checked.note,
    catchupWindow: checked.catchupWindow,
    once: o.once ?? false,
    request,
    createdBy: env.USER,
    validate: o.validate ?? true,
    validateTimeoutMs: checked.validateTimeout,
  };
}

/**
 * A Temporal Schedule whose action starts `safeDeployment` with the request as its single argument.
 * Overlap SKIP: never two deployments of one schedule at once. A short catch-up window: after an
 * outage, a deployment that would start long after its low-traffic slot is skipped, not run at noon.
 */
export function scheduleOptionsFor(s: DeploySchedule, taskQueue: string): ScheduleOptions {
  const { timeZone: _inText, ...calendar } = s.calendar;
  const when = `${s.calendar.comment} ${s.timeZone}`;
  return {
    scheduleId: s.scheduleId,
    spec: { calendars: [calendar], timezone: s.timeZone },
    action: {
      type: 'startWorkflow',
      workflowType: WORKFLOW_TYPE,
      taskQueue,
      // The server appends the scheduled time: deploy-farm-chat-production-v2-2025-06-01T01:00:00Z.
      workflowId: `deploy-${s.request.app}-${s.request.environment}-${s.request.ref.replace(/[^A-Za-z0-9._-]+/g, '-')}`,
      args: [s.request],
      typedSearchAttributes: deploySearchAttributes(s.request),
      staticSummary: `${deploySummary(s.request)} (schedule ${s.scheduleId}, ${when})`,
      memo: { scheduleId: s.scheduleId },
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: s.catchupWindow },
    memo: {
      app: s.request.app,
      environment: s.request.environment,
      ref: s.request.ref,
      when,
      ...(s.note ? { note: s.note } : {}),
      ...(s.createdBy ? { createdBy: s.createdBy } : {}),
    },
    state: { note: createdNote(s.request, when, s.note), ...(s.once ? { remainingActions: 1 } : {}) },
  };
}

/**
 * Refuses a taken id at once; then asks the worker on the task queue whether it has this app and
 * environment (unless --no-validate), so that a schedule whose every run would fail at
 * load-config is never created; then creates it.
 */
export async function runScheduleCreate(g: GlobalOptions, o: ScheduleCreateOptions): Promise<number> {
  const out = output(g.json);
  const schedule = deployScheduleFrom(o);
  const options = scheduleOptionsFor(schedule, g.taskQueue);
  return withClient(g, async (client) => {
    const exists = await client.schedule
      .getHandle(schedule.scheduleId)
      .describe()
      .then(
        () => true,
        (err: unknown) => {
          if (err instanceof ScheduleNotFoundError) return false;
          throw err;
        },
      );
    if (exists)
      throw new CliError(`schedule ${schedule.scheduleId} already exists; delete it first or pass --id`, EXIT.refused);
    const validated = schedule.validate
      ? await validateThroughWorker(client, schedule.request, {
          taskQueue: g.taskQueue,
          scheduleId: schedule.scheduleId,
          timeoutMs: schedule.validateTimeoutMs,
        })
      : undefined;
    const handle = await client.schedule.create(options);
    const { info } = await handle.describe();
    out.line(
      `created schedule ${handle.scheduleId}: ${deploySummary(schedule.request)} at ` +
        `${schedule.calendar.comment} ${schedule.timeZone}${schedule.once ? ' (once)' : ''}`,
    );
    out.line(`  overlap SKIP, catch-up window ${schedule.catchupWindow}, task queue ${g.taskQueue}`);
    out.line(
      validated
        ? `  checked by the worker on task queue ${g.taskQueue}: it has ${validated.app} ` +
            `${validated.environment} ` +
            `(${validated.hosts.length > 1 ? `hosts ${validated.hosts.join(', ')}` : 'one host'})`
        : '  not checked by a worker (--no-validate): every run fails at load-config if no worker has this ' +
            'app and environment',
    );
    nextRunLines(info.nextActionTimes, schedule.timeZone).forEach((l) => out.line(l));
    out.json({
      scheduleId: handle.scheduleId,
      timeZone: schedule.timeZone,
      calendar: schedule.calendar.comment,
      request: schedule.request,
      nextActionTimes: info.nextActionTimes,
      validation: validated ? { checked: true, taskQueue: g.taskQueue, hosts: validated.hosts } : { checked: false },
    });
    return EXIT.ok;
  });
}
