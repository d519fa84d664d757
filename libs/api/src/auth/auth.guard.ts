import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { createHash, timingSafeEqual } from 'node:crypto';
import { EngineError } from '@accord/engine';
import { PUBLIC_KEY, SCOPE_KEY, SCOPES, type Principal, type Scope } from './scopes';

export const AUTH_SETTINGS = Symbol('AUTH_SETTINGS');

export interface AuthSettings {
  /** Unset: auth is off (development only). */
  adminToken?: string;
}

const digest = (token: string) => createHash('sha256').update(token).digest();

/** Bearer tokens. The bootstrap ADMIN_TOKEN carries every scope. */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly adminDigest: Buffer | null;

  constructor(
    private readonly reflector: Reflector,
    settings: AuthSettings,
  ) {
    this.adminDigest = settings.adminToken ? digest(settings.adminToken) : null;
  }

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined>; principal?: Principal }>();
    if (!this.adminDigest) {
      request.principal = { actor: 'anonymous', scopes: SCOPES };
      return true;
    }
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match || !timingSafeEqual(digest(match[1]), this.adminDigest)) {
      throw new EngineError('UNAUTHORIZED', 'missing or invalid bearer token');
    }
    const principal: Principal = { actor: 'admin-token', scopes: SCOPES };
    const needed = this.reflector.getAllAndOverride<Scope | undefined>(SCOPE_KEY, targets);
    if (needed && !principal.scopes.includes(needed)) throw new EngineError('FORBIDDEN', `this call needs the "${needed}" scope`);
    request.principal = principal;
    return true;
  }
}
