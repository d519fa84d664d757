import { Body, Controller, Headers, Param, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import {
  AbortBodySchema, API_ROUTES, CountsQuerySchema, IdempotencyKeySchema, ListQuerySchema, StartBodySchema, UUID_PATTERN,
  WaitQuerySchema, type TransactionCounts, type TransactionStatus,
} from '@accord/contracts';
import { EngineError, StartTransaction, TransactionEvents, WaitForTransaction } from '@accord/engine';
import { TransactionQueryStore, TransactionStore, type TransactionFilter } from '@accord/persistence';
import { Route } from '../api-route.decorator';
import { CurrentPrincipal } from '../auth/principal.decorator';
import type { Principal } from '../auth/scopes';
import { decodeCursor, encodeCursor, parse } from '../parse-request';
import { presentAttempt } from '../presenters/log.presenter';
import { presentSummary, TransactionViews } from '../presenters/transaction.presenter';

/** Each status is counted up to this many (the console shows "10000+"). */
const COUNT_LIMIT = 10_000;

@Controller()
export class TransactionsController {
  constructor(
    private readonly start: StartTransaction,
    private readonly events: TransactionEvents,
    private readonly wait: WaitForTransaction,
    private readonly store: TransactionStore,
    private readonly queries: TransactionQueryStore,
    private readonly views: TransactionViews,
  ) {}

  @Route(API_ROUTES.startTransaction)
  async create(
    @Body() raw: unknown,
    @Query() query: unknown,
    @Headers('idempotency-key') headerKey: string | undefined,
    @Headers('traceparent') traceparent: string | undefined,
    @Headers('tracestate') tracestate: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const body = parse(StartBodySchema, raw, 'start request');
    const { waitMs } = parse(WaitQuerySchema, query, 'query');
    if (headerKey !== undefined) parse(IdempotencyKeySchema, headerKey, 'Idempotency-Key header');
    if (headerKey !== undefined && body.idempotencyKey !== undefined && headerKey !== body.idempotencyKey) {
      throw new EngineError('IDEMPOTENCY_KEY_CONFLICT', 'the Idempotency-Key header and the idempotencyKey field differ');
    }
    const { record, created } = await this.start.execute({
      definition: body.definition,
      version: body.version,
      spec: body.spec,
      input: body.input,
      idempotencyKey: body.idempotencyKey ?? headerKey,
      trace: { traceparent, tracestate },
      waitMs,
    });
    void reply.status(created ? 201 : 200);
    return this.views.present(record);
  }

  @Route(API_ROUTES.listTransactions)
  async list(@Query() query: unknown) {
    const { status, limit, cursor, ...filter } = parse(ListQuerySchema, query, 'query');
    const rows = await this.queries.list({
      ...this.filter(filter),
      status,
      limit: limit + 1,
      after: cursor ? decodeCursor(cursor) : undefined,
    });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { items: page.map(presentSummary), nextCursor: rows.length > limit && last ? encodeCursor(last.cursorAt, last.id) : null };
  }

  @Route(API_ROUTES.countTransactions)
  async counts(@Query() query: unknown): Promise<TransactionCounts> {
    const counted = await this.queries.countsByStatus(this.filter(parse(CountsQuerySchema, query, 'query')), COUNT_LIMIT);
    return { counts: Object.fromEntries(counted) as Record<TransactionStatus, number>, limit: COUNT_LIMIT };
  }

  @Route(API_ROUTES.getTransaction)
  async get(@Param('id') id: string, @Query() query: unknown) {
    const { waitMs } = parse(WaitQuerySchema, query, 'query');
    return this.views.present(await this.wait.execute({ id, waitMs }));
  }

  @Route(API_ROUTES.listAttempts)
  async attempts(@Param('id') id: string) {
    await this.wait.execute({ id });
    return { items: (await this.store.attempts(id)).map(presentAttempt) };
  }

  @Route(API_ROUTES.abortTransaction)
  async abort(@Param('id') id: string, @Body() raw: unknown, @CurrentPrincipal() principal: Principal) {
    const body = parse(AbortBodySchema, raw, 'abort request');
    if (!UUID_PATTERN.test(id)) throw new EngineError('TRANSACTION_NOT_FOUND', `no transaction ${id}`);
    await this.events.abort(id, { actor: principal.actor, note: body.note });
    return this.views.present(await this.wait.execute({ id }));
  }

  private filter(query: { definition?: string; from?: string; to?: string; id?: string; idempotencyKey?: string }): TransactionFilter {
    const { id, ...rest } = query;
    return { ...rest, idPrefix: id };
  }
}
