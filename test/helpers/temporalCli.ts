import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { ensureTemporalCli } from '../../scripts/lib/temporalCli.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The real `temporal` binary: $TEMPORAL_CLI, PATH or the project's .tools (installed when missing). */
export function temporalCli(): string {
  const cli = ensureTemporalCli(root);
  if (!cli) throw new Error('no Temporal CLI: set TEMPORAL_CLI or run npm run setup');
  return cli;
}

export interface TemporalRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `temporal …args --address <the tests' dev server>`, argv only (no shell). */
export function runTemporal(args: string[]): Promise<TemporalRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(temporalCli(), [...args, '--address', inject('temporalAddress'), '--namespace', 'default'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Splits shell text the way sh would for the plain commands the README shows: single and
 * double quotes, backslash-newline continuations, `#` comments. One argv per command line, and per
 * command of an `a && b` line.
 */
export function shellWords(text: string): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let word: string | undefined;
  let quoted = false;
  const endWord = () => {
    if (word === '&&' && !quoted) {
      if (words.length) commands.push(words);
      words = [];
    } else if (word !== undefined) words.push(word);
    word = undefined;
    quoted = false;
  };
  const endCommand = () => {
    endWord();
    if (words.length) commands.push(words);
    words = [];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && text[i + 1] === '\n') i++;
    else if (c === '\n') endCommand();
    else if (c === ' ' || c === '\t') endWord();
    else if (c === '#' && word === undefined) while (i + 1 < text.length && text[i + 1] !== '\n') i++;
    else if (c === "'") {
      const close = text.indexOf("'", i + 1);
      quoted = true;
      word = (word ?? '') + text.slice(i + 1, close);
      i = close;
    } else if (c === '"') {
      const close = text.indexOf('"', i + 1);
      quoted = true;
      word = (word ?? '') + text.slice(i + 1, close);
      i = close;
    } else word = (word ?? '') + c;
  }
  endCommand();
  return commands;
}

/** The commands of the docs' first ```sh block after the line `heading` (docs/configuration.md, where a user reads them). */
export function readmeCommands(heading: string, doc = 'docs/configuration.md'): string[][] {
  const readme = readFileSync(new URL(`../../${doc}`, import.meta.url), 'utf8');
  const at = readme.indexOf(heading);
  if (at < 0) throw new Error(`${doc} has no "${heading}"`);
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(at));
  if (!block) throw new Error(`${doc} has no sh block after "${heading}"`);
  return shellWords(block[1]!);
}

/** Replaces the value after `flag` (which must be there). */
export function withFlag(argv: string[], flag: string, value: string): string[] {
  const i = argv.indexOf(flag);
  if (i < 0 || i + 1 >= argv.length) throw new Error(`${argv.join(' ')} has no ${flag} <value>`);
  return [...argv.slice(0, i + 1), value, ...argv.slice(i + 2)];
}

export const flagValue = (argv: string[], flag: string): string | undefined => {
  const i = argv.indexOf(flag);
  return i < 0 ? undefined : argv[i + 1];
};
