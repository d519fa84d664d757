import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { isSettled, TRANSACTION_STATUSES, type TransactionCounts, type TransactionStatus } from '@accord/contracts';
import { EngineError, StartTransaction, TransactionEvents } from '@accord/engine';
import { TransactionQueryStore, TransactionStore, TransactionWaiters, type TransactionFilter, type TransactionRecord } from '@accord/persistence';
import { CurrentPrincipal } from '../auth/principal.decorator';
import { RequireScope, type Principal } from '../auth/scopes';
import { presentAttempt } from '../presenters/log.presenter';
import { presentSummary, TransactionViews } from '../presenters/transaction.presenter';
import {
  AbortBodySchema, CountsQuerySchema, decodeCursor, encodeCursor, IDEMPOTENCY_KEY, ListQuerySchema, parse, StartBodySchema, UUID, WaitQuerySchema,
} from '../request.schemas';

@ApiTags('transactions')
@ApiBearerAuth()
@Controller('v1/transactions')
export class TransactionsController {
  constructor(
    private readonly start: StartTransaction,
    private readonly events: TransactionEvents,
    private readonly store: TransactionStore,
    private readonly queries: TransactionQueryStore,
    private readonly waiters: TransactionWaiters,
    private readonly views: TransactionViews,
  ) {}

  @Post()
  @RequireScope('transactions:write')
  @ApiOperation({ summary: 'Start a transaction (idempotent with a key); ?waitMs= waits for the outcome' })
  @ApiBody({ schema: z.toJSONSchema(StartBodySchema, { io: 'input', unrepresentable: 'any' }) as object })
  @ApiQuery({ name: 'waitMs', required: false, type: Number })
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
    if (headerKey !== undefined) parse(IDEMPOTENCY_KEY, headerKey, 'Idempotency-Key header');
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
    });
    void reply.status(created ? 201 : 200);
    return this.views.present(waitMs ? await this.waitFor(record, waitMs) : record);
  }

  @Get()
  @RequireScope('transactions:read')
  @ApiOperation({ summary: 'Page through transactions, newest first, by status, definition, creation time, id prefix or idempotency key' })
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

  @Get('counts')
  @RequireScope('transactions:read')
  @ApiOperation({ summary: 'How many transactions have each status (the same filters as the list, but status)' })
  async counts(@Query() query: unknown): Promise<TransactionCounts> {
    const counted = await this.queries.countsByStatus(this.filter(parse(CountsQuerySchema, query, 'query')));
    const counts = Object.fromEntries(TRANSACTION_STATUSES.map((status) => [status, counted.get(status) ?? 0]));
    return { counts: counts as Record<TransactionStatus, number> };
  }

  @Get(':id')
  @RequireScope('transactions:read')
  async get(@Param('id') id: string, @Query() query: unknown) {
    const { waitMs } = parse(WaitQuerySchema, query, 'query');
    const record = await this.find(id);
    return this.views.present(waitMs ? await this.waitFor(record, waitMs) : record);
  }

  @Get(':id/attempts')
  @RequireScope('transactions:read')
  @ApiOperation({ summary: 'The attempt/compensation log, oldest first' })
  async attempts(@Param('id') id: string) {
    await this.find(id);
    const rows = await this.store.attempts(id);
    return {
      items: rows.map(presentAttempt),
    };
  }

  @Post(':id/abort')
  @HttpCode(202)
  @RequireScope('transactions:write')
  @ApiOperation({ summary: 'Roll back a transaction that has not passed its commit point (409 if it has); the note goes into the audit log' })
  @ApiBody({ required: false, schema: z.toJSONSchema(AbortBodySchema, { io: 'input' }) as object })
  async abort(@Param('id') id: string, @Body() raw: unknown, @CurrentPrincipal() principal: Principal) {
    const body = parse(AbortBodySchema, raw, 'abort request');
    if (!UUID.test(id)) throw new EngineError('TRANSACTION_NOT_FOUND', `no transaction ${id}`);
    await this.events.abort(id, { actor: principal.actor, note: body.note });
    return this.views.present(await this.find(id));
  }

  private filter(query: { definition?: string; from?: string; to?: string; id?: string; idempotencyKey?: string }): TransactionFilter {
    const { id, ...rest } = query;
    return { ...rest, idPrefix: id };
  }

  private async find(id: string): Promise<TransactionRecord> {
    const record = UUID.test(id) ? await this.store.load(id) : null;
    if (!record) throw new EngineError('TRANSACTION_NOT_FOUND', `no transaction ${id}`);
    return record;
  }

  /** Until terminal or STUCK, or `waitMs` passed. NOTIFY wakes us (a
   * transition committed by this replica hands over the committed state, so
   * no reload); a slow poll covers a lost notification. */
  private async waitFor(record: TransactionRecord, waitMs: number): Promise<TransactionRecord> {
    const until = Date.now() + waitMs;
    let current = record;
    while (!isSettled(current.status)) {
      const left = until - Date.now();
      if (left <= 0) break;
      const delivered = await this.waiters.wait(current.id, Math.min(left, 1000));
      current = delivered ?? (await this.store.load(current.id)) ?? current;
    }
    return current;
  }
}
