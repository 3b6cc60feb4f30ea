import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * PostgreSQL coming back: nothing listens on `port` until `afterMs`, then it forwards to the
 * server at `to` (the test cluster). `close()` ends every connection and the listener.
 */
export function pgComesBackOn(
  port: number,
  afterMs: number,
  to: { host: string; port: number },
): { close: () => Promise<void> } {
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  const opened = new Promise<void>((resolve) =>
    setTimeout(() => {
      server = createServer((client) => {
        const upstream = connect(to.port, to.host);
        sockets.add(client).add(upstream);
        client.pipe(upstream).pipe(client);
        client.on('error', () => upstream.destroy());
        upstream.on('error', () => client.destroy());
      }).listen(port, '127.0.0.1', () => resolve());
    }, afterMs),
  );
  return {
    close: () =>
      opened.then(
        () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server!.close(() => r());
          }),
      ),
  };
}
