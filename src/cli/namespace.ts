import { DEPLOY_SEARCH_ATTRIBUTE_KEYS } from '../shared/searchAttributes.js';
import { CliError, EXIT, output, resolveConnection, withClient, type GlobalOptions } from './context.js';

/** temporal.api.enums.v1.IndexedValueType (the proto package is not a runtime dependency). */
const INDEXED_VALUE_TYPES = ['unspecified', 'text', 'keyword', 'int', 'double', 'bool', 'datetime', 'keyword-list'];
const KEYWORD = 2;
const typeName = (t: number | null | undefined) => INDEXED_VALUE_TYPES[t ?? 0] ?? String(t);

export interface AttributeState {
  name: string;
  state: 'registered' | 'added' | 'wrong-type';
  type: string;
}

/**
 * `safe-deploy namespace setup`: registers the Deploy* search attributes on the namespace the
 * connection settings name (flags, TEMPORAL_*, temporal.toml — the same as every command), on a
 * dev server or a self-hosted cluster. Idempotent. Temporal Cloud manages search attributes
 * through tcld or its Web UI: refused there, it prints the tcld commands.
 */
export async function runNamespaceSetup(g: GlobalOptions): Promise<number> {
  const out = output(g.json);
  const { namespace } = resolveConnection(g);
  return withClient(g, async (client) => {
    const list = async () =>
      (await client.connection.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};
    const before = await list();
    const states: AttributeState[] = DEPLOY_SEARCH_ATTRIBUTE_KEYS.map((k) => {
      const had = before[k.name];
      if (had === undefined) return { name: k.name, state: 'added', type: 'keyword' };
      return { name: k.name, state: had === KEYWORD ? 'registered' : 'wrong-type', type: typeName(had) };
    });
    const missing = states.filter((s) => s.state === 'added').map((s) => s.name);
    if (missing.length) {
      try {
        await client.connection.operatorService.addSearchAttributes({
          namespace,
          searchAttributes: Object.fromEntries(missing.map((name) => [name, KEYWORD])),
        });
      } catch (err) {
        const tcld = missing.map(
          (name) =>
            `  tcld namespace search-attributes add --namespace ${namespace} --search-attribute "${name}=Keyword"`,
        );
        throw new CliError(
          `could not add ${missing.join(', ')} to namespace ${namespace}: ${(err as Error).message}\n` +
            (`On Temporal Cloud, add them with tcld (or the Cloud Web UI, Namespaces → Search ` +
              `Attributes):\n${tcld.join('\n')}`),
          EXIT.failed,
        );
      }
      // Added attributes reach every frontend's cache within seconds: wait until this one lists them.
      const deadline = Date.now() + 30_000;
      for (;;) {
        const now = await list();
        if (missing.every((name) => name in now)) break;
        if (Date.now() > deadline)
          throw new CliError(
            `added ${missing.join(', ')}, but namespace ${namespace} does not list them yet`,
            EXIT.failed,
          );
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    for (const s of states)
      out.line(
        s.state === 'wrong-type'
          ? `✗ ${s.name}: registered as ${s.type}, safe-deploy needs keyword (remove it, then run this again)`
          : `✓ ${s.name}: ${s.state === 'added' ? 'added' : 'already registered'} (keyword)`,
      );
    const ok = states.every((s) => s.state !== 'wrong-type');
    out.line(ok ? `namespace ${namespace} is ready for safe-deploy` : `namespace ${namespace} is NOT ready`);
    out.json({ namespace, ready: ok, attributes: states });
    return ok ? EXIT.ok : EXIT.failed;
  });
}
