import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, Reflector } from '@nestjs/core';
import {
  AdminController, ApiKeysController, AuthGuard, DefinitionsController, HealthController, HttpExceptionFilter, MetricsController,
  ReadinessProbe, StartMessagesController, TransactionsController, TransactionViews,
} from '@accord/api';
import {
  ManageApiKeys, PlanResolver, RegisterDefinition, RetryTransactions, StartTransaction, TransactionEvents, WaitForTransaction,
} from '@accord/engine';
import { AuditStore, DefinitionStore, TransactionQueryStore, TransactionStore } from '@accord/persistence';
import { AccordMetrics } from '@accord/telemetry';
import type { AccordConfig } from '@accord/config';
import type { Runtime } from './runtime';

@Module({})
export class CoordinatorModule {
  static create(runtime: Runtime): DynamicModule {
    const probe: ReadinessProbe = {
      dependencies: [
        { name: 'postgres', required: true, ping: async () => void (await runtime.dataSource.query('SELECT 1')) },
        { name: 'redis', required: false, ping: async () => void (await runtime.redis.ping()) },
      ],
      brokers: () => runtime.brokers.health(),
    };
    const errors = new HttpExceptionFilter(runtime.logger);
    return {
      module: CoordinatorModule,
      controllers: controllersFor(runtime.config),
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
        { provide: HttpExceptionFilter, useValue: errors },
        { provide: APP_FILTER, useValue: errors },
      ],
    };
  }
}

/** A worker replica serves only its probes and metrics; an API replica also
 * answers start messages when START_TRANSPORT is set. */
function controllersFor(config: AccordConfig) {
  const operations = [HealthController, MetricsController];
  if (config.ROLE === 'worker') return operations;
  const api = [DefinitionsController, TransactionsController, AdminController, ApiKeysController, ...operations];
  return config.START_TRANSPORT ? [...api, StartMessagesController] : api;
}
