import { describe, expect, it } from 'vitest';
import { gitArchive, gitCheckout, gitFetch, gitResolve } from '../../src/commands/git.js';

describe('git commands', () => {
  it('never lets a ref be read as an option', () => {
    expect(gitResolve('/srv/app', '--upload-pack=evil').args).toEqual([
      '-C',
      '/srv/app',
      'rev-parse',
      '--verify',
      '--quiet',
      '--end-of-options',
      '--upload-pack=evil^{commit}',
    ]);
  });
  it('checks out a commit detached, fetches tags without prompting', () => {
    expect(gitCheckout('/srv/app', 'abc123').args).toEqual([
      '-C',
      '/srv/app',
      'checkout',
      '--quiet',
      '--detach',
      'abc123',
    ]);
    const fetch = gitFetch('/srv/app', 'origin', 1000);
    expect(fetch.args).toEqual([
      '-C',
      '/srv/app',
      'fetch',
      '--tags',
      '--force',
      '--prune',
      '--end-of-options',
      'origin',
    ]);
    expect(fetch.env).toEqual({ GIT_TERMINAL_PROMPT: '0', GIT_ALLOW_PROTOCOL: 'file:git:http:https:ssh' });
    expect(fetch.timeoutMs).toBe(1000);
  });
  it('reads a release with git archive, never taking the commit or a path for an option', () => {
    expect(gitArchive('/srv/app', 'abc123', '/tmp/x.tar', ['prisma/migrations']).args).toEqual([
      '-C',
      '/srv/app',
      'archive',
      '--format=tar',
      '--output=/tmp/x.tar',
      '--end-of-options',
      'abc123',
      'prisma/migrations',
    ]);
  });
});
