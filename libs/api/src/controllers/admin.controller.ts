import { Body, Controller, Param, Query } from '@nestjs/common';
import { API_ROUTES, AuditQuerySchema, BulkRetryBodySchema, ResolveBodySchema, RetryBodySchema, SkipBodySchema, UUID_PATTERN } from '@accord/contracts';
import { EngineError, RetryTransactions, TransactionEvents, WaitForTransaction } from '@accord/engine';
import { AuditStore } from '@accord/persistence';
import { Route } from '../api-route.decorator';
import { CurrentPrincipal } from '../auth/principal.decorator';
import type { Principal } from '../auth/scopes';
import { parse } from '../parse-request';
import { presentAudit } from '../presenters/log.presenter';
import { TransactionViews } from '../presenters/transaction.presenter';

@Controller()
export class AdminController {
  constructor(
    private readonly events: TransactionEvents,
    private readonly retryTransactions: RetryTransactions,
    private readonly wait: WaitForTransaction,
    private readonly audit: AuditStore,
    private readonly views: TransactionViews,
  ) {}

  @Route(API_ROUTES.retryTransactions)
  retryMany(@Body() raw: unknown, @CurrentPrincipal() principal: Principal) {
    const body = parse(BulkRetryBodySchema, raw, 'bulk retry request');
    return this.retryTransactions.execute({ ...body, actor: principal.actor });
  }

  @Route(API_ROUTES.retryTransaction)
  async retry(@Param('id') id: string, @Body() raw: unknown, @CurrentPrincipal() principal: Principal) {
    const body = parse(RetryBodySchema, raw, 'retry request');
    this.checkId(id);
    await this.events.retry(id, { actor: principal.actor, note: body.note, ...('input' in body ? { input: body.input ?? null } : {}) });
    return this.views.present(await this.wait.execute({ id }));
  }

  @Route(API_ROUTES.skipStep)
  async skip(@Param('id') id: string, @Body() raw: unknown, @CurrentPrincipal() principal: Principal) {
    const body = parse(SkipBodySchema, raw, 'skip request');
    this.checkId(id);
    await this.events.skip(id, { actor: principal.actor, note: body.note, step: body.step, ...('output' in body ? { output: body.output ?? null } : {}) });
    return this.views.present(await this.wait.execute({ id }));
  }

  @Route(API_ROUTES.resolveTransaction)
  async resolve(@Param('id') id: string, @Body() raw: unknown, @CurrentPrincipal() principal: Principal) {
    const body = parse(ResolveBodySchema, raw, 'resolve request');
    this.checkId(id);
    await this.events.resolve(id, { actor: principal.actor, note: body.note });
    return this.views.present(await this.wait.execute({ id }));
  }

  @Route(API_ROUTES.listAudit)
  async auditLog(@Query() query: unknown) {
    const q = parse(AuditQuerySchema, query, 'query');
    return { items: (await this.audit.list(q.limit, q.before, q.transactionId)).map(presentAudit) };
  }

  private checkId(id: string): void {
    if (!UUID_PATTERN.test(id)) throw new EngineError('TRANSACTION_NOT_FOUND', `no transaction ${id}`);
  }
}
