import 'reflect-metadata';
import { ConsoleLogger, Controller, Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import type { Barrier, ParticipantContext } from '@accord/participant';
import { ParticipantPattern } from '@accord/participant/microservices';
import { AccordParticipantModule, CallContext, CallInput } from '@accord/participant/nest';
import { inventory } from './inventory.stock';
import type { InventorySettings } from './settings';
import { INVENTORY_PATTERNS } from './shop.definitions';
import { openShopDatabase, withClient } from './shop-database';
import { shopService, startShopServer, type ShopService } from './shop-server';

/** Inventory's participant endpoints as NATS request/reply patterns; the
 * SDK's ParticipantPattern checks each call's signature and runs it inside
 * the barrier, so the business functions write through `ctx.client`. */
@Controller()
class InventoryController {
  @ParticipantPattern(INVENTORY_PATTERNS.reserve)
  reserve(@CallInput() input: unknown, @CallContext() ctx: ParticipantContext) {
    return inventory.reserve(input, ctx.client, `${ctx.call.transactionId}:${ctx.call.step}`);
  }

  @ParticipantPattern(INVENTORY_PATTERNS.release)
  release(@CallContext() ctx: ParticipantContext) {
    return inventory.release(ctx.forwardResult, ctx.client);
  }
}

@Module({})
class InventoryModule {
  static forRoot(barrier: Barrier, signingSecret: string | undefined): DynamicModule {
    return {
      module: InventoryModule,
      imports: [AccordParticipantModule.forRoot({ barrier, signingSecret })],
      controllers: [InventoryController],
    };
  }
}

/**
 * Inventory: a Nest microservice answering `inventory.reserve` and
 * `inventory.release` over NATS, in the queue group `inventory` (replicas
 * share the calls, each call reaches one). Its HTTP port serves only
 * `GET /stock` (the shelf) and `GET /health`, opened once NATS is subscribed.
 */
export async function startInventory(settings: InventorySettings): Promise<ShopService> {
  const { pool, barrier } = await openShopDatabase(settings.DATABASE_URL, (client) => inventory.open(client));
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(InventoryModule.forRoot(barrier, settings.SIGNING_SECRET), {
    transport: Transport.NATS,
    // Reconnect for as long as it takes: the client's default gives up
    // after ten tries, and a NATS restart would then leave inventory deaf.
    options: { servers: settings.NATS_URL, queue: 'inventory', maxReconnectAttempts: -1, reconnectTimeWait: 500 },
    // Its output goes to a log file, not a terminal.
    logger: new ConsoleLogger({ colors: false }),
  });
  await app.listen();
  const server = await startShopServer({
    host: settings.HOST,
    port: settings.PORT,
    routes: {
      'GET /stock': async () => ({ status: 200, body: await withClient(pool, (client) => inventory.shelf(client)) }),
    },
  });
  return shopService(server, async () => {
    await app.close();
    await pool.end();
  });
}
