import { Body, Controller, Get, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { DefinitionSchema, NAME_PATTERN } from '@accord/contracts';
import { EngineError, RegisterDefinition } from '@accord/engine';
import { DefinitionStore } from '@accord/persistence';
import { presentDefinition } from '../presenters/definition.presenter';
import { RequireScope } from '../auth/scopes';
import { parse, VersionsQuerySchema } from '../request.schemas';

@ApiTags('definitions')
@ApiBearerAuth()
@Controller('v1/definitions')
export class DefinitionsController {
  constructor(
    private readonly register: RegisterDefinition,
    private readonly definitions: DefinitionStore,
  ) {}

  @Post()
  @RequireScope('definitions:write')
  @ApiOperation({ summary: 'Register a definition; the server assigns the next version (200 if identical to the latest)' })
  @ApiBody({ schema: z.toJSONSchema(DefinitionSchema, { io: 'input', unrepresentable: 'any' }) as object })
  async create(@Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const { record, created } = await this.register.execute(body);
    void reply.status(created ? 201 : 200);
    return presentDefinition(record);
  }

  @Get()
  @RequireScope('transactions:read')
  @ApiOperation({ summary: 'The latest version of every definition' })
  async list() {
    return { items: (await this.definitions.listLatest()).map(presentDefinition) };
  }

  @Get(':name')
  @RequireScope('transactions:read')
  async latest(@Param('name') name: string) {
    const record = NAME_PATTERN.test(name) ? await this.definitions.latest(name) : null;
    if (!record) throw new EngineError('DEFINITION_NOT_FOUND', `no definition "${name}"`);
    return presentDefinition(record);
  }

  @Get(':name/versions')
  @RequireScope('transactions:read')
  @ApiOperation({ summary: 'Every version of a definition, newest first (?before=<version> pages on)' })
  async versions(@Param('name') name: string, @Query() query: unknown) {
    const { limit, before } = parse(VersionsQuerySchema, query, 'query');
    if (!NAME_PATTERN.test(name) || !(await this.definitions.latest(name))) throw new EngineError('DEFINITION_NOT_FOUND', `no definition "${name}"`);
    return { items: (await this.definitions.versions(name, limit, before)).map(presentDefinition) };
  }

  @Get(':name/versions/:version')
  @RequireScope('transactions:read')
  async version(@Param('name') name: string, @Param('version') version: string) {
    const v = /^[1-9][0-9]{0,8}$/.test(version) ? Number(version) : null;
    const record = v !== null && NAME_PATTERN.test(name) ? await this.definitions.get(name, v) : null;
    if (!record) throw new EngineError('DEFINITION_NOT_FOUND', `no definition "${name}" version ${version}`);
    return presentDefinition(record);
  }
}
