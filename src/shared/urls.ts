/**
 * Where safe-deploy sends requests. A check, health or error-counter path is a path on the app's
 * own origin (`baseUrl`), never a way to name another host: the maintenance bypass header and the
 * checks' bearer tokens must only ever reach the configured app. Pure: used by the config schema
 * (at parse time) and by the activities (again after `{{var}}` filling, right before each request).
 */

/** The schemes safe-deploy talks to: the app, the webhook and the Web UI are all web servers. */
export const isHttpUrl = (u: URL): boolean => u.protocol === 'http:' || u.protocol === 'https:';

/** `..` written plainly or percent-encoded (`%2e%2e`, `.%2E`): a segment that climbs. */
const climbs = (segment: string): boolean => segment.replace(/%2e/gi, '.') === '..';

/**
 * Why `path` is not a plain request path, or undefined when it is one: it must start with a
 * single `/` (`//host/x` is a protocol-relative URL naming another host), hold no backslash
 * (WHATWG URLs read `\` as `/`), no control character (tabs and newlines are silently removed by
 * URL parsing, so `/\t/host` would become `//host`), and no `..` segment, plain or percent-encoded.
 */
export function pathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return 'must be a path starting with /';
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'must not contain control characters (tab, newline, …)';
  if (path.includes('\\')) return 'must not contain a backslash';
  const pathPart = path.split(/[?#]/, 1)[0]!;
  if (pathPart.includes('//')) return 'must not contain // (a path starting with // names another host)';
  if (pathPart.split('/').some(climbs)) return 'must not contain a .. segment';
  return undefined;
}

/**
 * `path` resolved against `baseUrl`, refused (throws, saying why) unless it stays on baseUrl's
 * origin (scheme, host and port). Defence in depth behind the schema: it also sees paths filled
 * from values an earlier check captured from a response.
 */
export function urlOnOrigin(baseUrl: string, path: string): URL {
  const base = new URL(baseUrl);
  if (!isHttpUrl(base)) throw new Error(`baseUrl ${base.protocol} is not http(s): refused`);
  const problem = pathProblem(path);
  if (problem) throw new Error(`path ${JSON.stringify(path.slice(0, 200))} ${problem}: refused`);
  const url = new URL(path, base);
  if (url.origin !== base.origin)
    throw new Error(
      `${JSON.stringify(path.slice(0, 200))} resolves to ${url.origin}, not the app's ${base.origin}: refused`,
    );
  return url;
}
