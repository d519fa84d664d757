import { Body, Controller, Param, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { API_ROUTES, NAME_PATTERN, VersionsQuerySchema } from '@accord/contracts';
import { EngineError, RegisterDefinition } from '@accord/engine';
import { DefinitionStore } from '@accord/persistence';
import { Route } from '../api-route.decorator';
import { parse } from '../parse-request';
import { presentDefinition } from '../presenters/definition.presenter';

@Controller()
export class DefinitionsController {
  constructor(
    private readonly register: RegisterDefinition,
    private readonly definitions: DefinitionStore,
  ) {}

  @Route(API_ROUTES.registerDefinition)
  async create(@Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const { record, created } = await this.register.execute(body);
    void reply.status(created ? 201 : 200);
    return presentDefinition(record);
  }

  @Route(API_ROUTES.listDefinitions)
  async list() {
    return { items: (await this.definitions.listLatest()).map(presentDefinition) };
  }

  @Route(API_ROUTES.getDefinition)
  async latest(@Param('name') name: string) {
    const record = NAME_PATTERN.test(name) ? await this.definitions.latest(name) : null;
    if (!record) throw new EngineError('DEFINITION_NOT_FOUND', `no definition "${name}"`);
    return presentDefinition(record);
  }

  @Route(API_ROUTES.listDefinitionVersions)
  async versions(@Param('name') name: string, @Query() query: unknown) {
    const { limit, before } = parse(VersionsQuerySchema, query, 'query');
    if (!NAME_PATTERN.test(name) || !(await this.definitions.latest(name))) throw new EngineError('DEFINITION_NOT_FOUND', `no definition "${name}"`);
    return { items: (await this.definitions.versions(name, limit, before)).map(presentDefinition) };
  }

  @Route(API_ROUTES.getDefinitionVersion)
  async version(@Param('name') name: string, @Param('version') version: string) {
    const v = /^[1-9][0-9]{0,8}$/.test(version) ? Number(version) : null;
    const record = v !== null && NAME_PATTERN.test(name) ? await this.definitions.get(name, v) : null;
    if (!record) throw new EngineError('DEFINITION_NOT_FOUND', `no definition "${name}" version ${version}`);
    return presentDefinition(record);
  }
}
