import { applyDecorators, HttpCode, RequestMapping, RequestMethod } from '@nestjs/common';
import type { ApiRoute } from '@accord/contracts';
import { Public, RequireScope } from './auth/scopes';

const METHODS = { get: RequestMethod.GET, post: RequestMethod.POST, delete: RequestMethod.DELETE } as const;

/** Routes a handler as the route table says: its method and path, its scope
 * (or none), and its status when it has only one success status (with two,
 * the handler picks). */
export function Route(route: ApiRoute): MethodDecorator {
  const successes = Object.keys(route.success).map(Number);
  return applyDecorators(
    RequestMapping({ method: METHODS[route.method], path: route.path.replace(/\{(\w+)\}/g, ':$1') }),
    ...(successes.length === 1 ? [HttpCode(successes[0])] : []),
    route.scope ? RequireScope(route.scope) : Public(),
  );
}
