import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { principalOf } from './authentication.hook';
import type { Principal } from './scopes';

export const CurrentPrincipal = createParamDecorator(
  (_: unknown, context: ExecutionContext): Principal =>
    principalOf(context.switchToHttp().getRequest<object>()) ?? { actor: 'anonymous', credential: 'anonymous', scopes: [] },
);
