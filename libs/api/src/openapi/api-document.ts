import { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiResponseObject, type ZodOpenApiResponsesObject } from 'zod-openapi';
import { API_ROUTES, ERROR_BODY_SCHEMAS, type ApiRoute, type ErrorStatus } from '@accord/contracts';

/** What each error status means, as the document says it. */
const ERROR_MEANINGS: Record<ErrorStatus, string> = {
  400: 'Invalid request (VALIDATION_FAILED with a detail per problem, INVALID_JSON, IDEMPOTENCY_KEY_CONFLICT, FORBIDDEN_TARGET, TRANSPORT_NOT_CONFIGURED); nothing changed',
  401: 'Missing or invalid credential',
  403: 'The credential lacks the scope this route needs',
  404: 'Nothing by that name or id',
  409: 'Conflicts with the current state (INVALID_STATE, IDEMPOTENCY_KEY_REUSED, API_KEY_NAME_TAKEN); nothing changed',
  413: 'The body is larger than MAX_BODY_BYTES',
  415: 'The body is not JSON',
  422: 'Well-formed but not supported here (UNSUPPORTED_TYPE)',
  429: 'Over RATE_LIMIT_PER_MINUTE for this credential (RATE_LIMITED), or a start past MAX_IN_FLIGHT (OVERLOADED): retry after Retry-After',
  503: 'Postgres cannot be reached (UNAVAILABLE): retry after Retry-After',
};

const RETRY_AFTER = z.object({ 'retry-after': z.string().meta({ description: 'Seconds to wait before trying again' }) });

function responses(route: ApiRoute): ZodOpenApiResponsesObject {
  const out: Record<string, ZodOpenApiResponseObject> = {};
  for (const [status, success] of Object.entries(route.success)) {
    out[status] = {
      description: success.description,
      ...(success.schema ? { content: { 'application/json': { schema: success.schema } } } : {}),
      ...(success.mediaType ? { content: { [success.mediaType]: { schema: { type: 'string' } } } } : {}),
    };
  }
  for (const status of route.errors) {
    out[String(status)] = {
      description: ERROR_MEANINGS[status],
      content: { 'application/json': { schema: ERROR_BODY_SCHEMAS[status] } },
      ...(status === 429 || status === 503 ? { headers: RETRY_AFTER } : {}),
    };
  }
  return out;
}

function operation(operationId: string, route: ApiRoute): ZodOpenApiOperationObject {
  return {
    operationId,
    tags: [route.tag],
    summary: route.summary,
    ...(route.scope ? { description: `Scope: \`${route.scope}\`` } : {}),
    security: route.scope ? [{ bearer: [] }] : [],
    requestParams: {
      ...(route.params ? { path: route.params } : {}),
      ...(route.query ? { query: route.query } : {}),
      ...(route.headers ? { header: route.headers } : {}),
    },
    ...(route.body
      ? { requestBody: { required: route.bodyRequired ?? true, content: { 'application/json': { schema: route.body } } } }
      : {}),
    responses: responses(route),
  };
}

/** The OpenAPI document, generated from the route table and its schemas. */
export function buildApiDocument(): ReturnType<typeof createDocument> {
  const paths: Record<string, Record<string, ZodOpenApiOperationObject>> = {};
  for (const [operationId, route] of Object.entries(API_ROUTES) as Array<[string, ApiRoute]>) {
    (paths[route.path] ??= {})[route.method] = operation(operationId, route);
  }
  return createDocument({
    openapi: '3.1.0',
    info: { title: 'Accord', description: 'Saga/TCC distributed-transaction coordinator', version: '1' },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    paths,
  });
}
