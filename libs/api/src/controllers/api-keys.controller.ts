import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import type { CreatedApiKeyView } from '@accord/contracts';
import { EngineError, ManageApiKeys } from '@accord/engine';
import { CurrentPrincipal } from '../auth/principal.decorator';
import { RequireScope, type Principal } from '../auth/scopes';
import { presentApiKey } from '../presenters/api-key.presenter';
import { ApiKeyBodySchema, parse, UUID } from '../request.schemas';

@ApiTags('admin')
@ApiBearerAuth()
@Controller('v1/admin/api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ManageApiKeys) {}

  @Post()
  @HttpCode(201)
  @RequireScope('admin')
  @ApiOperation({ summary: 'Create an API key with scopes; the key is shown in this answer only' })
  @ApiBody({ schema: z.toJSONSchema(ApiKeyBodySchema, { io: 'input', unrepresentable: 'any' }) as object })
  async create(@Body() raw: unknown, @CurrentPrincipal() principal: Principal): Promise<CreatedApiKeyView> {
    const body = parse(ApiKeyBodySchema, raw, 'API key request');
    const { record, key } = await this.keys.create(body.name, body.scopes, principal.actor);
    return { ...presentApiKey(record), key };
  }

  @Get()
  @RequireScope('admin')
  @ApiOperation({ summary: 'The API keys in use (no key material)' })
  async list() {
    return { items: (await this.keys.list()).map(presentApiKey) };
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireScope('admin')
  @ApiOperation({ summary: 'Revoke an API key: within a second it gets 401 on every replica' })
  async revoke(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<void> {
    if (!UUID.test(id)) throw new EngineError('API_KEY_NOT_FOUND', `no API key ${id}`);
    await this.keys.revoke(id, principal.actor);
  }
}
