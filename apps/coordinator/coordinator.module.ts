import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, Reflector } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import {
  AdminController, ApiKeysController, AuthGuard, DefinitionsController, HealthController, HttpExceptionFilter, MetricsController,
  ReadinessProbe, TransactionsController, TransactionViews,
} from '@accord/api';
import {
  ManageApiKeys, PlanResolver, RegisterDefinition, RetryTransactions, StartTransaction, TransactionEvents, WaitForTransaction,
} from '@accord/engine';
import { AuditStore, DefinitionStore, TransactionQueryStore, TransactionStore } from '@accord/persistence';
import { AccordMetrics } from '@accord/telemetry';
import type { Runtime } from './runtime';

@Module({})
export class CoordinatorModule {
  static create(runtime: Runtime): DynamicModule {
    const probe: ReadinessProbe = {
      postgres: async () => {
        await runtime.dataSource.query('SELECT 1');
      },
      redis: async () => {
        await runtime.redis.ping();
      },
    };
    return {
      module: CoordinatorModule,
      imports: [TerminusModule.forRoot({ logger: false, errorLogStyle: 'json' })],
      controllers: [DefinitionsController, TransactionsController, AdminController, ApiKeysController, HealthController, MetricsController],
      providers: [
        { provide: StartTransaction, useValue: runtime.start },
        { provide: TransactionEvents, useValue: runtime.events },
        { provide: WaitForTransaction, useValue: runtime.wait },
        { provide: RetryTransactions, useValue: runtime.retryMany },
        { provide: RegisterDefinition, useValue: runtime.register },
        { provide: ManageApiKeys, useValue: runtime.manageApiKeys },
        { provide: TransactionStore, useValue: runtime.store },
        { provide: TransactionQueryStore, useValue: runtime.queries },
        { provide: DefinitionStore, useValue: runtime.definitions },
        { provide: AuditStore, useValue: runtime.audit },
        { provide: AccordMetrics, useValue: runtime.metrics },
        { provide: ReadinessProbe, useValue: probe },
        { provide: PlanResolver, useValue: runtime.plans },
        TransactionViews,
        {
          provide: APP_GUARD,
          useFactory: (reflector: Reflector) => new AuthGuard(reflector),
          inject: [Reflector],
        },
        { provide: APP_FILTER, useValue: new HttpExceptionFilter(runtime.logger) },
      ],
    };
  }
}
