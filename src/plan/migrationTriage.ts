import type {
  CatalogFact,
  MigrationTriage,
  Resolution,
  StatementEffect,
  StatementEvidence,
} from '../shared/inventoryAndTriage.js';

/**
 * Which statements of a failed migration took effect, and how it may be resolved. Pure: the
 * activity reads the catalogs, this decides. Prisma runs a migration's statements in order and
 * stops at the first that fails, so everything after a statement that did not take effect never ran.
 */

/** A statement as the activity read it: the catalog facts it changes, or why there are none. */
export interface StatementFacts {
  index: number;
  line: number;
  sql: string;
  kind: string;
  /** The objects it creates (expectPresent) or drops, and whether they exist now. */
  facts?: CatalogFact[];
  /** BEGIN, COMMIT, SET: nothing the catalogs keep. */
  noEffect?: boolean;
  /** Why the catalogs cannot tell whether it ran (a kind of statement not known here, an unnamed index, …). */
  unknown?: string;
  undo?: string;
}

const describeFact = (f: CatalogFact) =>
  `${f.object} ${f.present ? 'exists' : 'does not exist'}` +
  (f.present === f.expectPresent ? '' : ` (the statement ${f.expectPresent ? 'creates' : 'drops'} it)`);

/** All facts as the statement leaves them: applied; none: not applied; some: the catalogs contradict each other. */
export function effectOf(facts: readonly CatalogFact[]): StatementEffect {
  const met = facts.filter((f) => f.present === f.expectPresent).length;
  if (facts.length === 0) return 'unknown';
  if (met === facts.length) return 'applied';
  return met === 0 ? 'not-applied' : 'unknown';
}

/**
 * Each statement's effect with its evidence. An object two statements change (created, then
 * renamed or dropped) cannot say which of them ran: both are `unknown`.
 */
export function statementEvidence(statements: readonly StatementFacts[]): StatementEvidence[] {
  const touchedBy = new Map<string, number[]>();
  for (const s of statements) {
    for (const f of s.facts ?? []) {
      const by = touchedBy.get(f.object) ?? [];
      if (!by.includes(s.index)) by.push(s.index);
      touchedBy.set(f.object, by);
    }
  }
  return statements.map((s): StatementEvidence => {
    const base = { index: s.index, line: s.line, sql: s.sql, kind: s.kind, ...(s.undo ? { undo: s.undo } : {}) };
    if (s.noEffect) return { ...base, effect: 'no-effect', evidence: ['changes nothing the catalogs keep'] };
    if (s.unknown !== undefined || !s.facts?.length)
      return { ...base, effect: 'unknown', evidence: [s.unknown ?? 'nothing the catalogs can show'] };
    const evidence = s.facts.map(describeFact);
    const shared = s.facts.find((f) => touchedBy.get(f.object)!.length > 1);
    if (shared)
      return {
        ...base,
        effect: 'unknown',
        evidence: [
          ...evidence,
          `statements ${touchedBy.get(shared.object)!.join(' and ')} both change ${shared.object}: the ` +
            `catalogs cannot tell which of them ran`,
        ],
      };
    const effect = effectOf(s.facts);
    return {
      ...base,
      effect,
      evidence: effect === 'unknown' ? [...evidence, 'some of its effects are there and some are not'] : evidence,
    };
  });
}

const list = (ss: readonly StatementEvidence[]) => ss.map((s) => s.index).join(', ');

/**
 * `resolve-rolled-back` when none of the statements took effect (deploy runs the migration again);
 * `resolve-applied` when all did and the target release carries the same migration.sql; otherwise
 * none: a person must finish or undo the statements that took effect first.
 */
export function proposeResolution(
  statements: readonly StatementEvidence[],
  sameInTarget: boolean,
): { proposal?: Resolution; grounds: string } {
  const checked = statements.filter((s) => s.effect !== 'no-effect');
  if (checked.length === 0) return { grounds: 'the migration has no statement whose effect the catalogs show' };
  const firstNot = checked.findIndex((s) => s.effect === 'not-applied');
  const ran = firstNot === -1 ? checked : checked.slice(0, firstNot);
  const unclear = ran.find((s) => s.effect === 'unknown');
  if (unclear)
    return {
      grounds:
        `statement ${unclear.index} (${unclear.kind}) may or may not have taken effect: ` +
        `${unclear.evidence.at(-1)}`,
    };
  if (firstNot === -1) {
    if (!sameInTarget)
      return {
        grounds:
          `all ${checked.length} statements took effect, but the target release carries another migration.sql ` +
          `under this name: marking it applied would record SQL that never ran`,
      };
    return {
      proposal: 'resolve-applied',
      grounds: `all ${checked.length} statements took effect (${checked.flatMap((s) => s.evidence).join('; ')})`,
    };
  }
  const failedAt = checked[firstNot]!;
  const after = checked.slice(firstNot + 1);
  const laterApplied = after.filter((s) => s.effect === 'applied');
  if (laterApplied.length > 0)
    return {
      grounds:
        `statement(s) ${list(laterApplied)} show their effect although statement ${failedAt.index}, before ` +
        `them, did not take effect: the database was changed outside this migration`,
    };
  if (ran.length > 0)
    return {
      grounds:
        `it was applied in part: statement(s) ${list(ran)} took effect, statement ${failedAt.index} did not ` +
        `(${failedAt.evidence.join('; ')})`,
    };
  const never = after.filter((s) => s.effect === 'unknown');
  return {
    proposal: 'resolve-rolled-back',
    grounds:
      `none of its statements took effect: statement ${failedAt.index}, the first, did not ` +
      `(${failedAt.evidence.join('; ')})` +
      (never.length ? `; statement(s) ${list(never)} come after it and never ran` : ''),
  };
}

const EFFECT_TEXT: Record<StatementEffect, string> = {
  applied: 'took effect',
  'not-applied': 'did not take effect',
  unknown: 'cannot tell',
  'no-effect': 'nothing to check',
};

/** For the gate's question and the report: the migration, the error, each statement's effect, the proposal. */
export function describeTriage(t: MigrationTriage): string {
  const error = t.logs
    ? ` (${
        t.logs
          .split('\n')
          .find((l) => /error/i.test(l))
          ?.trim() ?? t.logs.split('\n')[0]
      })`
    : '';
  const statements = t.statements.map(
    (s) =>
      `${s.index}. ${s.sql.split('\n')[0]!.slice(0, 100)} — ` +
      `${EFFECT_TEXT[s.effect]}${s.effect === 'no-effect' ? '' : ` (${s.evidence.join('; ')})`}`,
  );
  return (
    `${t.migration} failed${error}. ${statements.join(' ')} ` +
    `${t.proposal ? `Proposal: ${t.proposal} — ${t.grounds}` : `No resolution can be proposed: ${t.grounds}`}`
  );
}

/** What a person does when no resolution can be proposed: the exact SQL and commands. */
export function triageRemedy(t: MigrationTriage): string[] {
  const resolve = (flag: string) => `npx prisma migrate resolve ${flag} ${t.migration}`;
  if (t.sourceCommit === undefined) {
    return [
      `find the migration.sql whose sha256 is ${t.checksum} (the SQL of the failed attempt) and check which ` +
        `of its statements took effect`,
      `then undo them and run \`${resolve('--rolled-back')}\`, or finish them and run ` +
        `\`${resolve('--applied')}\`, in the app directory; then deploy again`,
    ];
  }
  const applied = t.statements.filter((s) => s.effect === 'applied').reverse();
  const missing = applied.filter((s) => !s.undo);
  const rest = t.statements.filter((s) => s.effect !== 'applied' && s.effect !== 'no-effect');
  const unclear = t.statements.filter((s) => s.effect === 'unknown');
  const steps: string[] = [];
  if (unclear.length) steps.push(`check by hand whether statement(s) ${list(unclear)} of ${t.file} took effect`);
  if (applied.length) {
    steps.push(
      `either undo what took effect, newest first: ${applied
        .filter((s) => s.undo)
        .map((s) => s.undo)
        .join(' ')}${
        missing.length
          ? ` (statement(s) ${list(missing)} cannot be undone with SQL: restore what they dropped from a ` + `backup)`
          : ''
      } — then deploy again (the triage then proposes resolve-rolled-back, or run ` +
        `\`${resolve('--rolled-back')}\` by hand)`,
    );
  }
  if (rest.length) {
    steps.push(
      `or finish it: run statement(s) ${list(rest)} of ${t.file} at ${t.sourceCommit.slice(0, 12)} (from ` +
        `line ${rest[0]!.line}) — then deploy again (the triage then proposes resolve-applied when the target ` +
        `carries the same migration.sql, or run \`${resolve('--applied')}\` by hand)`,
    );
  }
  return steps;
}
