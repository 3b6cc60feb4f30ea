/**
 * GET /integrations/<name> (status, public: no secrets in it) and
 * POST /integrations/<name>/connect (marks the caller as connected) for each integration.
 */
export function integrationRoutes(integrations) {
  return integrations.flatMap((integration) => [
    {
      method: 'GET',
      path: `/integrations/${integration.name}`,
      handler: async (ctx) => [200, await integration.status(ctx)],
    },
    {
      method: 'POST',
      path: `/integrations/${integration.name}/connect`,
      auth: true,
      handler: async (ctx) => {
        await integration.connect(ctx);
        return [200, { integration: integration.name, connected: true }];
      },
    },
  ]);
}
