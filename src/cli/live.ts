import type { Progress, StepRecord } from '../shared/report.js';
import { stepLine, WaitingNotice, type ProgressView } from './render.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const CLEAR_LINE = '\r\x1b[2K';

/** Where the live line goes: a TTY stream (process.stdout). */
export interface Terminal {
  write(text: string): unknown;
  columns?: number;
}

/**
 * On a terminal: one updating line for the running step ("⠋ → migrate: Apply migrations … 12.3 s")
 * and a permanent line per finished step, so the scrollback reads like the plain output.
 */
export class LiveProgress implements ProgressView {
  private readonly finished = new Set<number>();
  private readonly waiting: WaitingNotice;
  private running?: StepRecord;
  private runningSince = 0;
  private frame = 0;
  private drawn = false;
  private readonly timer?: NodeJS.Timeout;

  constructor(
    private readonly term: Terminal,
    workflowId: string,
    private readonly now: () => number = Date.now,
    tickMs = 100,
    /** A line above the live one as each step begins ("step 7 of ~24 · …"); none when absent. */
    private readonly pace?: (p: Progress) => string,
  ) {
    this.waiting = new WaitingNotice(workflowId, (line) => this.permanent(line));
    if (tickMs > 0) this.timer = setInterval(() => this.draw(), tickMs).unref();
  }

  update(p: Progress): void {
    p.steps.forEach((s, i) => {
      if (s.status === 'running' || this.finished.has(i)) return;
      this.finished.add(i);
      this.permanent(stepLine(s));
    });
    const running = p.steps.findLast((s) => s.status === 'running');
    if (running && (running.name !== this.running?.name || running.phase !== this.running.phase)) {
      const started = Date.parse(running.startedAt);
      this.runningSince = Number.isNaN(started) ? this.now() : started;
      // Where the run stands, once per step, above the live line (which stays "step … seconds").
      if (this.pace) this.permanent(`  ${this.pace(p)}`);
    }
    this.running = running;
    this.waiting.update(p.waitingFor);
    this.draw();
  }

  prime(p: Progress): void {
    p.steps.forEach((s, i) => {
      if (s.status !== 'running') this.finished.add(i);
    });
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.clear();
  }

  /** The current live line, or undefined when nothing runs. */
  liveLine(): string | undefined {
    if (!this.running) return undefined;
    const seconds = Math.max(0, (this.now() - this.runningSince) / 1000).toFixed(1);
    return `${FRAMES[this.frame % FRAMES.length]} ${stepLine(this.running)} ${seconds} s`;
  }

  private draw(): void {
    this.frame++;
    const line = this.liveLine();
    if (line === undefined) return this.clear();
    // Longer than the terminal would wrap, and \r would then only redraw the last row.
    const width = (this.term.columns || 80) - 1; // 0 on a terminal that does not say
    this.term.write(CLEAR_LINE + (line.length > width ? `${line.slice(0, width - 1)}…` : line));
    this.drawn = true;
  }

  private permanent(line: string): void {
    this.clear();
    this.term.write(`${line}\n`);
  }

  private clear(): void {
    if (this.drawn) this.term.write(CLEAR_LINE);
    this.drawn = false;
  }
}
