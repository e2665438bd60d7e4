// The reference GraphQL-over-HTTP audit (graphql-http's auditServer) against one server.
//
//   node tests/graphql_http/audit.mjs http://127.0.0.1:PORT/graphql
//
// Prints ONE JSON line to stdout: a list of {id, name, status, reason} for every audit (no
// response bodies); reason is null for an audit that passed. graphql-http is loaded from
// GRAPHQL_HTTP_DIR (a folder whose node_modules holds it), by default this script's own folder,
// where `npm ci --prefix tests/graphql_http` installs it. Exits 2 on bad usage, 1 when the audit
// itself could not run (a fatal error, not a failed audit).
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const url = process.argv[2];
if (!url || process.argv.length !== 3) {
  process.stderr.write('usage: node audit.mjs <graphql endpoint URL>\n');
  process.exit(2);
}

const here = dirname(fileURLToPath(import.meta.url));
const installedIn = resolve(process.env.GRAPHQL_HTTP_DIR || here);
const require = createRequire(join(installedIn, 'package.json'));

let auditServer;
try {
  ({ auditServer } = require('graphql-http'));
} catch (error) {
  process.stderr.write(
    `graphql-http is not installed in ${installedIn}` +
      ` (npm ci --prefix tests/graphql_http): ${error.message}\n`,
  );
  process.exit(1);
}

// The gateway's CSRF prevention (http_api/csrf.py, as Apollo Server's) refuses a GET, or a POST
// that is not JSON, unless it carries a header a browser never adds by itself; the audit's GETs
// carry none. Every request gets `apollo-require-preflight: true`, which the refusal tells a
// client to send, so what is audited is the GraphQL over HTTP handling behind that check.
const preflighted = (input, init = {}) => {
  const headers = new Headers(init.headers);
  headers.set('apollo-require-preflight', 'true');
  return fetch(input, { ...init, headers });
};

try {
  const results = await auditServer({ url, fetchFn: preflighted });
  const summary = results.map(({ id, name, status, reason }) => ({
    id,
    name,
    status,
    reason: reason ?? null,
  }));
  // Exit only once the line has been handed to the pipe: a pipe's writes are asynchronous.
  process.stdout.write(`${JSON.stringify(summary)}\n`, () => process.exit(0));
} catch (error) {
  process.stderr.write(`the audit could not run against ${url}: ${error?.stack ?? error}\n`);
  process.exit(1);
}
