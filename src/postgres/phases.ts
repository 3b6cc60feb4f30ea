/** How long each part of a long step took, for the step's facts: where a restore's time goes. */
export class Phases {
  readonly ms: Record<string, number> = {};
  async time<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const started = Date.now();
    try {
      return await fn();
    } finally {
      this.ms[name] = (this.ms[name] ?? 0) + Date.now() - started;
    }
  }
}
