import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNotifyActivities } from '../../src/activities/notify.js';
import { environmentConfigSchema } from '../../src/config/schema.js';

/**
 * Issue 12, item 8: `requestedBy` and `reason` reached Slack as mrkdwn, so `<!channel>` pinged a
 * whole channel and `<http://x|y>` showed a disguised link. Sent to a real receiver here.
 */
let server: Server;
let hook: string;
const bodies: Record<string, unknown>[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      bodies.push(JSON.parse(body));
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  hook = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/T1/B2/secret`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe('Slack text: what people typed is shown literally', () => {
  it('escapes & < > in the text line; the structured fields stay as they were', async () => {
    const env = environmentConfigSchema.parse({
      appDir: '/srv/app',
      database: { urlEnv: 'DATABASE_URL' },
      backup: { dir: '/var/backups' },
      commands: { restart: ['true'] },
      writes: { policy: 'detect' },
      baseUrl: 'http://127.0.0.1:3000',
      notify: { webhookUrlEnv: 'HOOK' },
    });
    // What runbook.ts writes for `started`: `<from> → <to> (<reason>), by <requestedBy>`.
    const summary = 'v1 → v2 (<http://evil.example/login|release notes> & more), by <!channel>';
    const webUiUrl = 'http://127.0.0.1:8233/namespaces/default/workflows/deploy-app-prod-v2-1';
    const { notify } = createNotifyActivities({ configPath: '/nonexistent', env: { HOOK: hook } });
    await new MockActivityEnvironment().run(notify, {
      target: { ...env, app: 'app', environment: 'prod' },
      event: 'started' as const,
      deploymentId: 'd1',
      workflowId: 'w1',
      app: 'app',
      environment: 'prod',
      ref: 'v2',
      summary,
      webUiUrl,
    });
    const [body] = bodies;
    const text = body!.text as string;
    expect(text).toBe(
      `:rocket: app prod v2: deployment started. v1 → v2 (&lt;http://evil.example/login|release notes&gt; &amp; more), by &lt;!channel&gt; <${webUiUrl}|Open in Temporal>`,
    );
    // Exactly one mrkdwn control sequence remains: our own link.
    expect(text.match(/</g)).toHaveLength(1);
    expect(text).not.toContain('<!channel>');
    expect(body!.summary).toBe(summary);
    expect(Object.keys(body!)).toEqual([
      'text',
      'event',
      'app',
      'environment',
      'ref',
      'deploymentId',
      'workflowId',
      'summary',
      'webUiUrl',
    ]);
  });
});
