import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { EngineError } from '@accord/engine';
import { principalOf } from './authentication.hook';
import type { Scope } from '@accord/contracts';
import { PUBLIC_KEY, SCOPE_KEY } from './scopes';

/** Scopes: the principal comes from the authentication hook; a route that is
 * neither public nor authenticated is refused. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const principal = principalOf(context.switchToHttp().getRequest<object>());
    if (!principal) throw new EngineError('UNAUTHORIZED', 'missing or invalid bearer token');
    const needed = this.reflector.getAllAndOverride<Scope | undefined>(SCOPE_KEY, targets);
    if (needed && !principal.scopes.includes(needed)) throw new EngineError('FORBIDDEN', `this call needs the "${needed}" scope`);
    return true;
  }
}
