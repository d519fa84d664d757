/**
 * The OpenAPI document the coordinator serves at /docs-json: it lists
 * exactly the routes the controllers serve, each with every error status it
 * can answer in the contract's error envelope, and those answers really come
 * (each one below passes the shared helper's check against the document).
 * The check itself refuses an undocumented status and a body off its schema.
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { ERROR_STATUSES } from '@accord/contracts';
import { ApiDocument, apiDocumentOf } from '../support/api-document-check';
import { Api, startCoordinator, type CoordinatorProcess } from '../support/coordinator-process';

jest.setTimeout(90_000);

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';
const ROOT = resolve(__dirname, '../..');

type Json = Record<string, any>;

/** `GET /v1/transactions/{id}` for every handler of the built coordinator's
 * controllers, from Nest's own routing metadata (read by plain node: jest
 * cannot load the ES modules the API's web plugins import). */
function servedRoutes(): string[] {
  const script = `
    require('reflect-metadata');
    const { METHOD_METADATA, PATH_METADATA } = require('@nestjs/common/constants');
    const { RequestMethod } = require('@nestjs/common');
    const api = require('./dist/libs/api/src/index.js');
    const routes = [];
    for (const controller of Object.values(api).filter((value) => typeof value === 'function' && value.name.endsWith('Controller'))) {
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler = controller.prototype[name];
        if (name === 'constructor' || !Reflect.hasMetadata(PATH_METADATA, handler)) continue;
        routes.push(RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler)] + ' ' + Reflect.getMetadata(PATH_METADATA, handler));
      }
    }
    process.stdout.write(JSON.stringify(routes));`;
  const routes = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' })) as string[];
  return routes.map((route) => route.replace(/:(\w+)/g, '{$1}'));
}

describe('the OpenAPI document', () => {
  let coordinator: CoordinatorProcess;
  let api: Api;
  let anonymous: Api;
  let served: ApiDocument;
  let doc: Json;
  let operations: Array<{ route: string; operation: Json }>;

  beforeAll(async () => {
    coordinator = await startCoordinator({ label: 'api-document' });
    api = new Api(coordinator.url);
    anonymous = new Api(coordinator.url, null);
    served = await apiDocumentOf(coordinator.url);
    doc = served.document;
    operations = Object.entries(doc.paths as Json).flatMap(([path, methods]) =>
      Object.entries(methods as Json).map(([method, operation]) => ({ route: `${method.toUpperCase()} ${path}`, operation: operation as Json })),
    );
  }, 60_000);

  afterAll(async () => {
    await coordinator?.stop();
  });

  it('is OpenAPI 3.1 and lists exactly the routes the controllers serve', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(operations.map((o) => o.route).sort()).toEqual(servedRoutes().sort());
  });

  it('documents for every /v1 route the statuses any call can answer, and the ones its parameters and body can', () => {
    const missing: string[] = [];
    for (const { route, operation } of operations.filter((o) => o.route.includes(' /v1'))) {
      const documented = Object.keys(operation.responses).map(Number);
      const parameters = (operation.parameters ?? []) as Json[];
      const expected = [
        401, 403, 429, 503,
        ...(parameters.some((p) => p.in === 'path') ? [400, 404] : []),
        ...(parameters.some((p) => p.in === 'query') ? [400] : []),
        ...(operation.requestBody || route.startsWith('DELETE') ? [400, 413, 415] : []),
      ];
      for (const status of expected) if (!documented.includes(status)) missing.push(`${route} ${status}`);
    }
    expect(missing).toEqual([]);
  });

  it('documents each error status with the error envelope, only among the contract statuses, and Retry-After on 429 and 503', () => {
    for (const { route, operation } of operations) {
      for (const [status, response] of Object.entries(operation.responses as Record<string, Json>)) {
        const code = Number(status);
        if (code < 400) continue;
        expect({ route, status: code, allowed: (ERROR_STATUSES as readonly number[]).includes(code) }).toEqual({ route, status: code, allowed: true });
        expect({ route, status, schema: response.content['application/json'].schema }).toEqual({ route, status, schema: { $ref: `#/components/schemas/Error${status}` } });
        if (code === 429 || code === 503) expect({ route, status, header: response.headers?.['retry-after']?.required }).toEqual({ route, status, header: true });
      }
    }
    const envelope = (status: number) => doc.components.schemas[`Error${status}`].properties.error;
    expect(envelope(503).properties.code.enum).toEqual(['UNAVAILABLE']);
    expect(envelope(429).properties.code.enum).toEqual(['RATE_LIMITED', 'OVERLOADED']);
    expect(envelope(404).properties.code.enum).toEqual(expect.arrayContaining(['TRANSACTION_NOT_FOUND', 'DEFINITION_NOT_FOUND', 'API_KEY_NOT_FOUND']));
    expect(envelope(400).required).toEqual(['code', 'message', 'details']);
  });

  it('documents the request and success bodies by schema', () => {
    const start = doc.paths['/v1/transactions'].post;
    expect(start.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/StartRequest' });
    expect(start.responses['201'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/TransactionView' });
    expect(doc.components.schemas.TransactionView.required).toEqual(expect.arrayContaining(['id', 'status', 'steps', 'definition']));
    expect(doc.paths['/v1/admin/api-keys/{id}'].delete.responses['204'].content).toBeUndefined();
  });

  describe('the answers that the document promises', () => {
    /** One request per /v1 route, with nothing it names existing. */
    const requests: Array<[string, string, unknown?]> = [
      ['POST', '/v1/definitions', {}],
      ['GET', '/v1/definitions'],
      ['GET', '/v1/definitions/nope'],
      ['GET', '/v1/definitions/nope/versions'],
      ['GET', '/v1/definitions/nope/versions/1'],
      ['POST', '/v1/transactions', { definition: 'nope' }],
      ['GET', '/v1/transactions'],
      ['GET', '/v1/transactions/counts'],
      ['GET', `/v1/transactions/${UNKNOWN_ID}`],
      ['GET', `/v1/transactions/${UNKNOWN_ID}/attempts`],
      ['POST', `/v1/transactions/${UNKNOWN_ID}/abort`, {}],
      ['POST', '/v1/admin/transactions/retry', { status: 'STUCK' }],
      ['POST', `/v1/admin/transactions/${UNKNOWN_ID}/retry`, {}],
      ['POST', `/v1/admin/transactions/${UNKNOWN_ID}/skip`, { step: 'a', note: 'n' }],
      ['POST', `/v1/admin/transactions/${UNKNOWN_ID}/resolve`, { note: 'n' }],
      ['GET', '/v1/admin/audit'],
      ['POST', '/v1/admin/api-keys', { name: 'doc-key', scopes: ['transactions:read'] }],
      ['GET', '/v1/admin/api-keys'],
      ['DELETE', `/v1/admin/api-keys/${UNKNOWN_ID}`],
    ];

    it('covers every /v1 route', () => {
      const document = new ApiDocument(served.document);
      const covered = requests.map(([method, path]) => document.operationFor(method, path)!);
      expect(covered.map((o) => `${o.method} ${o.route}`).sort()).toEqual(operations.map((o) => o.route).filter((r) => r.includes(' /v1')).sort());
    });

    // One argument per test (jest reads a callback with more parameters than its row has as one that takes `done`).
    const rows = (filter: (row: [string, string, unknown?]) => boolean = () => true) =>
      requests.filter(filter).map(([method, path, body]) => ({ method, path, body }));

    it.each(rows())('$method $path: 401 without a credential, then its own answer with one', async ({ method, path, body }) => {
      expect((await anonymous.call(method, path, body)).status).toBe(401);
      expect((await api.call(method, path, body)).status).toBeLessThan(500);
    });

    it.each(rows(([method]) => method !== 'GET'))('$method $path: 400 for invalid JSON, 415 for text, 413 for too much', async ({ method, path }) => {
      expect((await api.call(method, path, '{"bad', { 'content-type': 'application/json' })).status).toBe(400);
      expect((await api.call(method, path, 'text', { 'content-type': 'text/plain' })).status).toBe(415);
      expect((await api.call(method, path, `"${'x'.repeat(1024 * 1024)}"`, { 'content-type': 'application/json' })).status).toBe(413);
    });

    it.each(rows(([, path]) => path.includes('nope') || path.includes(UNKNOWN_ID)))('$method $path: 404 for what does not exist', async ({ method, path, body }) => {
      expect((await api.call(method, path, body)).status).toBe(404);
    });

    it('answers 400 for a malformed path parameter, and on undocumented routes only the error envelope', async () => {
      expect((await api.get('/v1/definitions/%zz')).status).toBe(400);
      expect((await api.call('PUT', '/v1/definitions', {})).status).toBe(404);
      expect((await api.get('/v1/nothing-here')).status).toBe(404);
    });
  });

  describe('the check of answers against it', () => {
    it('refuses an undocumented status, a body off its schema, a missing Retry-After and a non-envelope error', () => {
      const document = new ApiDocument(served.document);
      const json = { 'content-type': 'application/json; charset=utf-8' };
      const view = (status: string) => ({ error: { code: status, message: 'm', details: [] } });
      expect(document.problem('GET', `/v1/transactions/${UNKNOWN_ID}`, { status: 500, body: view('INTERNAL'), headers: json })).toMatch(/500 is not documented/);
      expect(document.problem('GET', `/v1/transactions/${UNKNOWN_ID}`, { status: 200, body: { id: UNKNOWN_ID }, headers: json })).toMatch(/does not match/);
      expect(document.problem('GET', `/v1/transactions/${UNKNOWN_ID}`, { status: 404, body: view('API_KEY_GONE'), headers: json })).toMatch(/does not match/);
      expect(document.problem('GET', '/v1/transactions', { status: 503, body: view('DATABASE_DOWN'), headers: { ...json, 'retry-after': '1' } })).toMatch(/does not match/);
      expect(document.problem('GET', '/v1/transactions', { status: 503, body: view('UNAVAILABLE'), headers: json })).toMatch(/Retry-After/i);
      expect(document.problem('GET', '/v1/nothing', { status: 404, body: 'Not Found', headers: {} })).toMatch(/envelope/);
      expect(document.problem('GET', `/v1/transactions/${UNKNOWN_ID}`, { status: 404, body: view('TRANSACTION_NOT_FOUND'), headers: json })).toBeNull();
    });
  });
});
