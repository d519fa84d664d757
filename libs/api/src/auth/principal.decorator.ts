import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Principal } from './scopes';

export const CurrentPrincipal = createParamDecorator(
  (_: unknown, context: ExecutionContext): Principal =>
    context.switchToHttp().getRequest<{ principal?: Principal }>().principal ?? { actor: 'anonymous', scopes: [] },
);
