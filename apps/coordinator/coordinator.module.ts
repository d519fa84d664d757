import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, Reflector } from '@nestjs/core';
import {
  AdminController, ApiKeysController, AuthGuard, DefinitionsController, HealthController, HttpExceptionFilter, MetricsController,
  ReadinessProbe, TransactionsController, TransactionViews,
} from '@accord/api';
import { ManageApiKeys, PlanResolver, RegisterDefinition, StartTransaction, TransactionEvents } from '@accord/engine';
import { AuditStore, DefinitionStore, TransactionQueryStore, TransactionStore, TransactionWaiters } from '@accord/persistence';
import { AccordMetrics } from '@accord/telemetry';
import type { Runtime } from './runtime';

@Module({})
export class CoordinatorModule {
  static create(runtime: Runtime): DynamicModule {
    const probe: ReadinessProbe = {
      dependencies: [
        { name: 'postgres', required: true, ping: async () => void (await runtime.dataSource.query('SELECT 1')) },
        { name: 'redis', required: false, ping: async () => void (await runtime.redis.ping()) },
      ],
    };
    return {
      module: CoordinatorModule,
      controllers: [DefinitionsController, TransactionsController, AdminController, ApiKeysController, HealthController, MetricsController],
      providers: [
        { provide: StartTransaction, useValue: runtime.start },
        { provide: TransactionEvents, useValue: runtime.events },
        { provide: RegisterDefinition, useValue: runtime.register },
        { provide: ManageApiKeys, useValue: runtime.manageApiKeys },
        { provide: TransactionStore, useValue: runtime.store },
        { provide: TransactionQueryStore, useValue: runtime.queries },
        { provide: DefinitionStore, useValue: runtime.definitions },
        { provide: AuditStore, useValue: runtime.audit },
        { provide: TransactionWaiters, useValue: runtime.waiters },
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
