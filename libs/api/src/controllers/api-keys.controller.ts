import { Body, Controller, Param } from '@nestjs/common';
import { API_ROUTES, ApiKeyBodySchema, UUID_PATTERN, type CreatedApiKeyView } from '@accord/contracts';
import { EngineError, ManageApiKeys } from '@accord/engine';
import { Route } from '../api-route.decorator';
import { CurrentPrincipal } from '../auth/principal.decorator';
import type { Principal } from '../auth/scopes';
import { parse } from '../parse-request';
import { presentApiKey } from '../presenters/api-key.presenter';

@Controller()
export class ApiKeysController {
  constructor(private readonly keys: ManageApiKeys) {}

  @Route(API_ROUTES.createApiKey)
  async create(@Body() raw: unknown, @CurrentPrincipal() principal: Principal): Promise<CreatedApiKeyView> {
    const body = parse(ApiKeyBodySchema, raw, 'API key request');
    const { record, key } = await this.keys.create(body.name, body.scopes, principal.actor);
    return { ...presentApiKey(record), key };
  }

  @Route(API_ROUTES.listApiKeys)
  async list() {
    return { items: (await this.keys.list()).map(presentApiKey) };
  }

  @Route(API_ROUTES.revokeApiKey)
  async revoke(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<void> {
    if (!UUID_PATTERN.test(id)) throw new EngineError('API_KEY_NOT_FOUND', `no API key ${id}`);
    await this.keys.revoke(id, principal.actor);
  }
}
