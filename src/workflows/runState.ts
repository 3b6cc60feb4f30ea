import { isCancellation, setCurrentDetails } from '@temporalio/workflow';
import type { CheckRecord, DeploymentReport, Outcome, Progress, StepRecord, WaitingFor } from '../shared/report.js';
import type { StepName } from '../shared/steps.js';
import { currentDetails } from './currentDetails.js';
import { CANCELLED, describeFailure } from './failures.js';
import { Skipped } from './skipped.js';

/** Feeds the `progress` query, the Web UI's current details and the final report. */
export class RunState {
  readonly steps: StepRecord[] = [];
  private status: Progress['status'] = 'running';
  private waiting?: WaitingFor;
  /** Why the forward steps stopped ("rollback requested by ana: …"): what a step cut short says. */
  private interruption?: string;
  private readonly startedAt = Date.now();
  readonly report: Omit<DeploymentReport, 'outcome' | 'finishedAt' | 'durationMs' | 'startedAt' | 'steps'>;

  constructor(
    deploymentId: string,
    request: { app?: unknown; environment?: unknown; ref?: unknown },
    workflowId?: string,
  ) {
    const text = (v: unknown) => (typeof v === 'string' ? v : '');
    this.report = {
      ...(workflowId ? { workflowId } : {}),
      deploymentId,
      app: text(request.app),
      environment: text(request.environment),
      ref: text(request.ref),
      checks: [],
      decisions: [],
    };
  }

  get rollingBackNow(): boolean {
    return this.status === 'rolling-back';
  }

  get finished(): boolean {
    return this.status !== 'running' && this.status !== 'rolling-back';
  }

  /** Runs one step, recording when it started, how long it took, and what it found or why it failed. */
  async step<T>(
    name: StepName,
    summary: string,
    fn: () => Promise<T>,
    describe?: (result: Exclude<T, Skipped>) => string,
  ): Promise<T> {
    const record: StepRecord = {
      name,
      phase: this.status === 'rolling-back' ? 'rollback' : 'deploy',
      status: 'running',
      summary,
      startedAt: new Date().toISOString(),
    };
    this.steps.push(record);
    const started = Date.now();
    this.publish();
    try {
      const result = await fn();
      const durationMs = Date.now() - started;
      Object.assign(
        record,
        result instanceof Skipped
          ? { status: 'skipped', durationMs, result: result.why }
          : { status: 'ok', durationMs, result: describe?.(result as Exclude<T, Skipped>) },
      );
      return result;
    } catch (err) {
      Object.assign(record, {
        status: 'failed',
        durationMs: Date.now() - started,
        error: isCancellation(err) && this.interruption ? this.interruption : describeFailure(err).message,
      });
      throw err;
    } finally {
      this.publish();
    }
  }

  /** Shows a line of progress on the running step (the monitoring window's looks). */
  note(name: StepName, text: string): void {
    const record = this.steps.findLast((s) => s.name === name && s.status === 'running');
    if (record) record.result = text;
    this.publish();
  }

  /**
   * Says who interrupted the forward steps. Set before a `rollback` update cancels them; after a
   * cancel (who sent it is read from the history afterwards), the steps it cut short are relabelled.
   */
  interrupt(why: string): void {
    this.interruption = why;
    for (const s of this.steps)
      if (s.phase === 'deploy' && s.status === 'failed' && s.error === CANCELLED) s.error = why;
    this.publish();
  }

  waitFor(w: WaitingFor | undefined): void {
    this.waiting = w;
    this.publish();
  }

  rollingBack(): void {
    this.status = 'rolling-back';
    this.publish();
  }

  addChecks(target: CheckRecord[], checks: CheckRecord[]): void {
    target.push(...checks.map(({ name, kind, ok, detail }) => ({ name, kind, ok, detail })));
  }

  progress(): Progress {
    const { deploymentId, app, environment, ref } = this.report;
    return {
      deploymentId,
      app,
      environment,
      ref,
      status: this.status,
      currentStep: this.steps.findLast((s) => s.status === 'running')?.name,
      ...(this.waiting ? { waitingFor: this.waiting } : {}),
      steps: this.steps,
    };
  }

  finish(outcome: Outcome, err?: unknown): DeploymentReport {
    this.status = outcome;
    this.waiting = undefined;
    this.publish();
    const failedAt = this.steps.findLast((s) => s.status === 'failed' && s.phase === 'deploy')?.name;
    return {
      ...this.report,
      outcome,
      startedAt: new Date(this.startedAt).toISOString(),
      finishedAt: new Date().toISOString(),
      durationMs: Date.now() - this.startedAt,
      steps: this.steps,
      ...(err === undefined ? {} : { error: { step: failedAt, ...describeFailure(err) } }),
    };
  }

  /** The Web UI's "current details": the runbook with a mark per step, and what it waits for. */
  private publish(): void {
    const { app, environment, ref } = this.report;
    setCurrentDetails(currentDetails({ app, environment, ref, status: this.status }, this.steps, this.waiting));
  }
}
