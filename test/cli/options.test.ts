import { describe, expect, it } from 'vitest';
import { decisionFrom } from '../../src/cli/decision.js';
import { listOptionsSchema, listQuery } from '../../src/cli/list.js';
import { deployScheduleFrom, scheduleOptionsFor } from '../../src/cli/schedule/create.js';
import { requestFromOptions } from '../../src/cli/start.js';

const base = { app: 'farm-chat', env: 'production', ref: 'v2', follow: true };

describe('start: options → the workflow request', () => {
  it('carries --monitor-minutes and --window, parsed and validated', () => {
    expect(
      requestFromOptions({
        ...base,
        monitorMinutes: '30',
        window: 'sun,sat 03:00-05:00 Europe/Madrid',
        requestedBy: 'ana',
        reason: 'Satshot',
      }),
    ).toEqual({
      app: 'farm-chat',
      environment: 'production',
      ref: 'v2',
      dryRun: false,
      reason: 'Satshot',
      requestedBy: 'ana',
      monitorMinutes: 30,
      window: { days: ['sun', 'sat'], start: '03:00', end: '05:00', timeZone: 'Europe/Madrid' },
    });
  });

  it('fills the window defaults: every day, UTC', () => {
    expect(requestFromOptions({ ...base, window: '22:00-02:00' }).window).toEqual({
      days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
      start: '22:00',
      end: '02:00',
      timeZone: 'UTC',
    });
  });

  it.each([
    [{ window: 'sunday' }, /^--window: window "sunday": expected/],
    [{ window: 'sun 03:00-05:00 Mars/Olympus' }, /request\.window\.timeZone: an IANA time zone/],
    [{ window: 'sun 03:00-25:00' }, /request\.window\.end: a time of day/],
    [{ monitorMinutes: '1.5' }, /^--monitor-minutes: a whole number/],
    [{ monitorMinutes: '99999' }, /request\.monitorMinutes/],
    [{ ref: '--upload-pack=x' }, /request\.ref/],
  ])('refuses %o, naming the flag or field', (bad, message) => {
    expect(() => requestFromOptions({ ...base, ...bad })).toThrow(message);
  });
});

describe('list: filters → a visibility query', () => {
  it('filters on the workflow type and the Deploy* search attributes', () => {
    expect(listQuery({})).toBe("WorkflowType = 'safeDeployment'");
    expect(listQuery(listOptionsSchema.parse({ app: 'farm-chat', env: 'production', outcome: 'rolled-back' }))).toBe(
      "WorkflowType = 'safeDeployment' AND DeployApp = 'farm-chat' AND DeployEnvironment = 'production' AND DeployOutcome = 'rolled-back'",
    );
  });

  it('lets no quote into the query', () => {
    expect(listOptionsSchema.safeParse({ app: "x' OR 1=1 --" }).success).toBe(false);
    expect(listOptionsSchema.safeParse({ outcome: 'failed' }).success).toBe(false);
    expect(listOptionsSchema.safeParse({ limit: '0' }).success).toBe(false);
    expect(listOptionsSchema.parse({ limit: '5' }).limit).toBe(5);
  });
});

describe('approve, reject, rollback: the decision', () => {
  it('takes --by, else $USER', () => {
    expect(decisionFrom({ reason: ' reviewed ', by: 'ana' }, {})).toEqual({ reason: 'reviewed', by: 'ana' });
    expect(decisionFrom({ reason: 'reviewed' }, { USER: 'luis' })).toEqual({ reason: 'reviewed', by: 'luis' });
  });
  it('refuses an empty reason and an unknown person', () => {
    expect(() => decisionFrom({ reason: '  ', by: 'ana' }, {})).toThrow('--reason: say why');
    expect(() => decisionFrom({ reason: 'x' }, {})).toThrow('--by: who decides');
  });
  it('takes approve --action among the known actions (the workflow checks the gate offers it)', () => {
    expect(decisionFrom({ reason: 'small data', by: 'ana', action: 'reset' }, {})).toEqual({
      reason: 'small data',
      by: 'ana',
      action: 'reset',
    });
    expect(decisionFrom({ reason: 'triage', by: 'ana', action: 'resolve-rolled-back' }, {})).toEqual({
      reason: 'triage',
      by: 'ana',
      action: 'resolve-rolled-back',
    });
    expect(() => decisionFrom({ reason: 'x', by: 'ana', action: 'drop' }, {})).toThrow(
      '--action: one of reset, resolve-applied, resolve-rolled-back',
    );
  });
});

describe('schedule create: options → a Temporal Schedule', () => {
  it('maps the calendar, zone, note and catch-up window; overlap SKIP; the action starts safeDeployment with the request', () => {
    const s = deployScheduleFrom(
      {
        app: 'farm-chat',
        env: 'production',
        ref: 'v2',
        at: 'sun 03:00',
        timeZone: 'Europe/Madrid',
        note: 'Satshot release',
        catchupWindow: '30m',
        once: true,
        monitorMinutes: '15',
      },
      { USER: 'ana' },
    );
    expect(scheduleOptionsFor(s, 'safe-deploy')).toEqual({
      scheduleId: 'deploy-farm-chat-production',
      spec: {
        calendars: [{ dayOfWeek: ['SUNDAY'], hour: 3, minute: 0, comment: 'sun 03:00' }],
        timezone: 'Europe/Madrid',
      },
      action: {
        type: 'startWorkflow',
        workflowType: 'safeDeployment',
        taskQueue: 'safe-deploy',
        workflowId: 'deploy-farm-chat-production-v2',
        args: [
          {
            app: 'farm-chat',
            environment: 'production',
            ref: 'v2',
            dryRun: false,
            reason: 'Satshot release',
            requestedBy: 'schedule deploy-farm-chat-production',
            monitorMinutes: 15,
          },
        ],
        typedSearchAttributes: [
          { key: { name: 'DeployApp', type: 'KEYWORD' }, value: 'farm-chat' },
          { key: { name: 'DeployEnvironment', type: 'KEYWORD' }, value: 'production' },
          { key: { name: 'DeployRef', type: 'KEYWORD' }, value: 'v2' },
        ],
        staticSummary:
          'Deploy farm-chat production → v2 (schedule deploy-farm-chat-production, sun 03:00 Europe/Madrid)',
        memo: { scheduleId: 'deploy-farm-chat-production' },
      },
      policies: { overlap: 'SKIP', catchupWindow: '30m' },
      memo: {
        app: 'farm-chat',
        environment: 'production',
        ref: 'v2',
        when: 'sun 03:00 Europe/Madrid',
        note: 'Satshot release',
        createdBy: 'ana',
      },
      state: { note: 'Satshot release', remainingActions: 1 },
    });
  });

  it('takes the zone from --at, defaults to UTC, a 1 hour catch-up window and a descriptive note', () => {
    const inText = deployScheduleFrom(
      { app: 'farm-chat', env: 'staging', ref: 'main', at: 'mon-fri 22:00 Europe/Madrid', id: 'nightly-staging' },
      {},
    );
    expect(inText).toMatchObject({
      scheduleId: 'nightly-staging',
      timeZone: 'Europe/Madrid',
      catchupWindow: '1 hour',
      once: false,
    });
    const utc = scheduleOptionsFor(
      deployScheduleFrom({ app: 'farm-chat', env: 'staging', ref: 'main', at: '04:00' }, {}),
      'q',
    );
    expect(utc.spec).toEqual({ calendars: [{ hour: 4, minute: 0, comment: 'daily 04:00' }], timezone: 'UTC' });
    expect(utc.state).toEqual({ note: 'Deploy farm-chat staging → main daily 04:00 UTC' });
  });

  it.each([
    [
      { at: 'sun 03:00 Europe/Madrid', timeZone: 'Europe/Paris' },
      '--at names Europe/Madrid but --time-zone says Europe/Paris',
    ],
    [{ at: 'sun 03:00', timeZone: 'Madrid' }, '--time-zone: an IANA time zone'],
    [{ at: 'sun 03:00', catchupWindow: '5s' }, '--catchup-window: a duration of at least 10 seconds'],
    [{ at: 'sun 03:00', catchupWindow: 'soon' }, '--catchup-window: a duration'],
    [{ at: 'sun 03:00', id: '-x' }, '--id: letters, digits'],
    [{ at: 'sunday' }, '--at: calendar "sunday"'],
    [{ at: 'sun 03:00', ref: 'a..b' }, 'request.ref'],
    [{ at: 'sun 03:00', validateTimeout: '0s' }, '--validate-timeout: a duration from 1 second to 10 minutes'],
    [{ at: 'sun 03:00', validateTimeout: 'soon' }, '--validate-timeout: a duration from 1 second to 10 minutes'],
  ])('refuses %o', (bad, message) => {
    expect(() => deployScheduleFrom({ app: 'farm-chat', env: 'production', ref: 'v2', ...bad }, {})).toThrow(message);
  });
});
