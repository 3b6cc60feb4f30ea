/** A step's function may say it had nothing to do: it is then recorded as skipped, with why. */
export class Skipped {
  constructor(readonly why: string) {}
}
