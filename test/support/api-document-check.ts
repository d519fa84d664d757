/**
 * Checks an answer of the coordinator against its own OpenAPI document
 * (`/docs-json`, fetched once per coordinator): the status must be one the
 * route documents, the body must match that status's schema, and documented
 * headers must be there. The shared HTTP helper (`Api`) runs every answer
 * through it, so each e2e test also checks the document against what the
 * routes really answer.
 */
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { request } from 'undici';

/** The parts of the coordinator's OpenAPI 3.1 document this check reads. */
export interface OpenApiDocument {
  paths: Record<string, Record<string, DocumentedOperation>>;
  components?: object;
}
interface DocumentedOperation {
  responses: Record<string, DocumentedResponse>;
}
interface DocumentedResponse {
  headers?: Record<string, { required?: boolean }>;
  content?: Record<string, { schema?: object }>;
}

export interface Answer {
  status: number;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
}

/** Statuses any `/v1` path answers before a route is matched (no such
 * route, a malformed URL, no credential, over the rate limit, no database). */
const UNROUTED_STATUSES = [400, 401, 404, 429, 503];

interface Operation {
  route: string;
  matcher: RegExp;
  params: number;
  method: string;
  spec: DocumentedOperation;
}

export class ApiDocument {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly operations: Operation[];
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(readonly document: OpenApiDocument) {
    addFormats(this.ajv);
    this.operations = Object.entries(document.paths).flatMap(([route, methods]) =>
      Object.entries(methods).map(([method, spec]) => ({
        route,
        method: method.toUpperCase(),
        spec,
        params: (route.match(/\{/g) ?? []).length,
        matcher: new RegExp(`^${route.replace(/\{[^}]+\}/g, '[^/]+')}$`),
      })),
    );
    // A literal segment wins over a parameter (`/counts` before `/{id}`), as in the router.
    this.operations.sort((a, b) => a.params - b.params);
  }

  /** The documented operation a request goes to, if any. */
  operationFor(method: string, path: string): Operation | undefined {
    const pathname = path.split('?')[0];
    return this.operations.find((o) => o.method === method.toUpperCase() && o.matcher.test(pathname));
  }

  /** What is wrong with `answer` as the answer to `method path`; null when it matches. */
  problem(method: string, path: string, answer: Answer): string | null {
    const operation = this.operationFor(method, path);
    if (!operation) {
      if (!path.startsWith('/v1')) return null; // the console, the queue view, the docs themselves
      if (!UNROUTED_STATUSES.includes(answer.status)) return `${answer.status} from an undocumented route`;
      return this.errorEnvelopeProblem(answer);
    }
    const response = operation.spec.responses[String(answer.status)] as DocumentedResponse | undefined;
    if (!response) {
      return `${answer.status} is not documented for ${operation.method} ${operation.route} (documented: ${Object.keys(operation.spec.responses).join(', ')})`;
    }
    for (const [name, header] of Object.entries(response.headers ?? {})) {
      if (header.required && answer.headers[name.toLowerCase()] === undefined) return `${answer.status} without its documented ${name} header`;
    }
    const content = response.content;
    if (!content) return answer.body === null || answer.body === '' ? null : `${answer.status} has a body; the document says none`;
    const contentType = String(answer.headers['content-type'] ?? '');
    const mediaType = Object.keys(content).find((type) => contentType.startsWith(type));
    if (!mediaType) return `${answer.status} answered ${contentType || 'no content type'}; the document says ${Object.keys(content).join(', ')}`;
    if (mediaType !== 'application/json') return null;
    const key = `${operation.method} ${operation.route} ${answer.status}`;
    let validate = this.validators.get(key);
    if (!validate) {
      // The document's components beside the schema, so its #/components refs resolve.
      validate = this.ajv.compile({ ...content[mediaType].schema, components: this.document.components });
      this.validators.set(key, validate);
    }
    if (validate(answer.body)) return null;
    return `the ${key} body does not match the document: ${this.ajv.errorsText(validate.errors)}`;
  }

  private errorEnvelopeProblem(answer: Answer): string | null {
    const body = answer.body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null;
    const error = body?.error;
    const ok = typeof error?.code === 'string' && typeof error.message === 'string' && Array.isArray(error.details) && Object.keys(body!).length === 1;
    return ok ? null : `${answer.status} without the error envelope`;
  }
}

const documents = new Map<string, Promise<ApiDocument | null>>();

/** The document `baseUrl` serves, fetched once; null for a replica that
 * serves no API (ROLE=worker answers only its probes and metrics). */
export function servedApiDocument(baseUrl: string): Promise<ApiDocument | null> {
  let document = documents.get(baseUrl);
  if (!document) {
    document = (async () => {
      const res = await request(`${baseUrl}/docs-json`);
      if (res.statusCode === 404) {
        await res.body.dump();
        return null;
      }
      if (res.statusCode !== 200) throw new Error(`${baseUrl}/docs-json answered ${res.statusCode}`);
      return new ApiDocument((await res.body.json()) as OpenApiDocument);
    })();
    document.catch(() => documents.delete(baseUrl));
    documents.set(baseUrl, document);
  }
  return document;
}

/** The document `baseUrl` serves; it must serve one. */
export async function apiDocumentOf(baseUrl: string): Promise<ApiDocument> {
  const document = await servedApiDocument(baseUrl);
  if (!document) throw new Error(`${baseUrl} serves no OpenAPI document`);
  return document;
}
