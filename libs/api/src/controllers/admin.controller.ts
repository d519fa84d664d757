import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { EngineError, TransactionEvents } from '@accord/engine';
import { AuditStore, TransactionQueryStore, TransactionStore } from '@accord/persistence';
import { CurrentPrincipal } from '../auth/principal.decorator';
import { RequireScope, type Principal } from '../auth/scopes';
import { presentAudit } from '../presenters/log.presenter';
import { TransactionViews } from '../presenters/transaction.presenter';
import { AuditQuerySchema, BulkRetryBodySchema, parse, ResolveBodySchema, RetryBodySchema, SkipBodySchema, UUID } from '../request.schemas';

@ApiTags('admin')
@ApiBearerAuth()
@Controller('v1/admin')
export class AdminController {
  constructor(
    private readonly events: TransactionEvents,
    private readonly store: TransactionStore,
    private readonly queries: TransactionQueryStore,
    private readonly audit: AuditStore,
    private readonly views: TransactionViews,
  ) {}

  @Post('transactions/retry')
  @HttpCode(202)
  @RequireScope('admin')
  @ApiOperation({ summary: 'Retry STUCK transactions in bulk, oldest first' })
  async retryMany(@Body() raw: unknown, @CurrentPrincipal() principal: Principal) {
    const body = parse(BulkRetryBodySchema, raw, 'bulk retry request');
    const ids = await this.queries.idsByStatus(body.status, body.definition, body.limit);
    if (body.dryRun) return { matched: ids.length, retried: [] };
    const retried: string[] = [];
    for (const id of ids) {
      try {
        await this.events.retry(id, { actor: principal.actor, note: body.note });
        retried.push(id);
      } catch (error) {
        if (!(error instanceof EngineError)) throw error;
      }
    }
    return { matched: ids.length, retried };
  }

  @Post('transactions/:id/retry')
  @HttpCode(202)
  @RequireScope('admin')
  @ApiOperation({ summary: 'Resume a STUCK transaction from where it stopped, with a fresh retry budget' })
  async retry(@Param('id') id: string, @Body() raw: unknown, @CurrentPrincipal() principal: Principal) {
    const body = parse(RetryBodySchema, raw, 'retry request');
    this.checkId(id);
    await this.events.retry(id, { actor: principal.actor, note: body.note, ...('input' in body ? { input: body.input ?? null } : {}) });
    return this.views.present((await this.store.load(id))!);
  }

  @Post('transactions/:id/skip')
  @HttpCode(202)
  @RequireScope('admin')
  @ApiOperation({ summary: 'Close the STUCK call of one step by hand: as succeeded with `output` going forward, as undone rolling back' })
  async skip(@Param('id') id: string, @Body() raw: unknown, @CurrentPrincipal() principal: Principal) {
    const body = parse(SkipBodySchema, raw, 'skip request');
    this.checkId(id);
    await this.events.skip(id, { actor: principal.actor, note: body.note, step: body.step, ...('output' in body ? { output: body.output ?? null } : {}) });
    return this.views.present((await this.store.load(id))!);
  }

  @Post('transactions/:id/resolve')
  @HttpCode(202)
  @RequireScope('admin')
  @ApiOperation({ summary: 'Close a STUCK transaction as RESOLVED by hand' })
  async resolve(@Param('id') id: string, @Body() raw: unknown, @CurrentPrincipal() principal: Principal) {
    const body = parse(ResolveBodySchema, raw, 'resolve request');
    this.checkId(id);
    await this.events.resolve(id, { actor: principal.actor, note: body.note });
    return this.views.present((await this.store.load(id))!);
  }

  @Get('audit')
  @RequireScope('admin')
  @ApiOperation({ summary: 'Every operator action, newest first' })
  async auditLog(@Query() query: unknown) {
    const q = parse(AuditQuerySchema, query, 'query');
    const rows = await this.audit.list(q.limit, q.before, q.transactionId);
    return {
      items: rows.map(presentAudit),
    };
  }

  private checkId(id: string): void {
    if (!UUID.test(id)) throw new EngineError('TRANSACTION_NOT_FOUND', `no transaction ${id}`);
  }
}
