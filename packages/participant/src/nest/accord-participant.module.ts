import { Module, type DynamicModule, type OnModuleInit } from '@nestjs/common';
import { Barrier } from '../barrier';
import { ParticipantInterceptor } from './participant.interceptor';
import { ACCORD_PARTICIPANT_OPTIONS, type AccordParticipantModuleOptions } from './participant-module.options';

/**
 * Makes a Nest app an Accord participant: provides the Barrier (global, for
 * custom use) and the interceptor behind ParticipantEndpoint, and creates
 * the barrier table at start-up.
 *
 * ```ts
 * @Module({ imports: [AccordParticipantModule.forRoot({ pool, signingSecret })], controllers: [InventoryController] })
 * // or, on TypeORM: forRoot({ barrier: new Barrier(typeormDatabase(dataSource)), signingSecret })
 * ```
 */
@Module({})
export class AccordParticipantModule implements OnModuleInit {
  constructor(private readonly barrier: Barrier<object>) {}

  static forRoot(options: AccordParticipantModuleOptions): DynamicModule {
    return {
      module: AccordParticipantModule,
      global: true,
      providers: [
        { provide: ACCORD_PARTICIPANT_OPTIONS, useValue: options },
        { provide: Barrier, useFactory: () => (options.barrier === undefined ? new Barrier(options.pool) : options.barrier) },
        ParticipantInterceptor,
      ],
      exports: [ACCORD_PARTICIPANT_OPTIONS, Barrier, ParticipantInterceptor],
    };
  }

  async onModuleInit(): Promise<void> {
    await this.barrier.install();
  }
}
