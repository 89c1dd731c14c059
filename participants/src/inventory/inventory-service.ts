import { PutProductRequest, QUEUES, type CommandType, type Message, type PayloadOf } from '@sagaflow/contracts';
import { createMessage, type Logger, type MessageBus } from '@sagaflow/contracts/messaging';
import type { Express } from 'express';
import { afterCommit } from '../kit/after-commit.js';
import { recordsRoute, validated } from '../kit/http-app.js';
import { participantModule } from '../kit/participant-module.js';
import { DEFAULT_PREFETCH } from '../kit/participant.js';
import { startParticipantService, type ParticipantConfig, type ServiceHandle } from '../kit/participant-service.js';
import { validator } from '@sagaflow/contracts';
import { DEMO_CATALOGUE } from './demo-catalogue.js';
import type { InventoryCommand, InventoryStore, ProductSeed, Reservation, StockChange } from './inventory-store.js';
import { openInventoryStore } from './open-inventory-store.js';

export interface InventoryConfig extends ParticipantConfig {
  /** An `inventory.low` event goes out when a product's available stock drops below this. */
  lowStockThreshold: number;
  /** The catalogue added on start where absent (default: the demo catalogue). */
  seed?: readonly ProductSeed[];
}

export const DEFAULT_LOW_STOCK_THRESHOLD = 5;

const checkPut = validator(PutProductRequest);
const SKU_PATTERN = /^[A-Z0-9][A-Z0-9-]{0,63}$/;

/** Products that this reserve took from at or above the threshold to below it. */
export const crossedBelow = (changes: StockChange[], threshold: number): StockChange[] =>
  changes.filter((c) => c.available < threshold && c.available + c.quantity >= threshold);

/** A reservation as `GET /reservations` shows it. */
const reservationView = (r: Reservation) => ({
  ...r,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

function inventoryRoutes(store: InventoryStore) {
  return (app: Express) => {
    app.get(
      '/reservations',
      recordsRoute({
        byOrder: async (orderId) => {
          const reservation = await store.getReservation(orderId);
          return reservation ? [reservation] : [];
        },
        page: (request) => store.listReservations(request),
        view: reservationView,
      }),
    );
    app.get('/products', async (_req, res) => {
      res.json({ items: await store.listProducts() });
    });
    app.get('/products/:sku', async (req, res) => {
      const product = await store.getProduct(req.params.sku);
      if (!product) res.status(404).json({ error: 'not_found', message: `no product '${req.params.sku}'` });
      else res.json(product);
    });
    app.put('/products/:sku', async (req, res) => {
      const sku = req.params.sku;
      if (!SKU_PATTERN.test(sku)) {
        res.status(400).json({
          error: 'validation_failed',
          details: [{ path: '/sku', message: 'must be upper-case letters, digits and dashes' }],
        });
        return;
      }
      const change = validated(checkPut, req.body, res);
      if (!change) return;
      const result = await store.putProduct(sku, change);
      if (!result) {
        res.status(400).json({
          error: 'validation_failed',
          details: [{ path: '/', message: `product '${sku}' does not exist: creating it needs name and priceCents` }],
        });
        return;
      }
      res.status(result.created ? 201 : 200).json(result.product);
    });
  };
}

async function publishLowStock(bus: MessageBus, logger: Logger, changes: StockChange[], threshold: number) {
  for (const change of crossedBelow(changes, threshold)) {
    const event = createMessage('inventory.low', { sku: change.sku, available: change.available, threshold });
    // The stock change is committed; a lost alert must not turn into a retried reserve.
    await bus.publish(event).catch((error: unknown) => {
      logger.warn('could not publish inventory.low', { sku: change.sku, error: (error as Error).message });
    });
  }
}

async function commitCompletedOrder(store: InventoryStore, logger: Logger, message: Message): Promise<void> {
  if (message.type !== 'saga.changed') return;
  const event = message.payload as PayloadOf<'saga.changed'>;
  if (event.type !== 'order' || event.status !== 'COMPLETED') return;
  if ((await store.commit(event.orderId)) && logger.isDebugEnabled()) {
    logger.debug('reservation committed', { orderId: event.orderId, sagaId: event.sagaId });
  }
}

/** A command of the inventory queue as the store runs it in a batch. */
function inventoryCommandOf(command: Message<CommandType>): InventoryCommand {
  const key = { commandId: command.commandId!, commandType: command.type };
  if (command.type === 'inventory.reserve') {
    return { kind: 'reserve', key, command: (command as Message<'inventory.reserve'>).payload };
  }
  if (command.type === 'inventory.release') {
    return { kind: 'release', key, command: (command as Message<'inventory.release'>).payload };
  }
  throw new Error(`inventory does not handle '${command.type}'`);
}

/** Starts the inventory service: seeds the catalogue, consumes `inventory.commands` and `inventory.events`. */
export async function startInventory(config: InventoryConfig): Promise<ServiceHandle> {
  const store = await openInventoryStore(config.storeUrl);
  try {
    const added = await store.seed(config.seed ?? DEMO_CATALOGUE);
    if (added > 0) config.logger?.info('catalogue seeded', { added });
  } catch (error) {
    await store.close();
    throw error;
  }
  return startParticipantService({
    service: 'inventory',
    config,
    store,
    build: (bus, logger) => ({
      routes: inventoryRoutes(store),
      handlers: {
        'inventory.reserve': async (command) => {
          const execution = await store.reserve(
            { commandId: command.commandId!, commandType: command.type },
            command.payload,
          );
          // Published once the stock change has committed (in a group transaction, after its COMMIT).
          await afterCommit(() => publishLowStock(bus, logger, execution.changes, config.lowStockThreshold));
          return execution;
        },
        'inventory.release': (command) =>
          store.release({ commandId: command.commandId!, commandType: command.type }, command.payload),
      },
      ...(store.runBatch && {
        runBatch: async (commands) => {
          const executions = await store.runBatch!(commands.map(inventoryCommandOf));
          const changes = executions.flatMap((e) => ('changes' in e ? e.changes : []));
          await afterCommit(() => publishLowStock(bus, logger, changes, config.lowStockThreshold));
          return executions;
        },
      }),
      startConsumers: async () => [
        await bus.consume(QUEUES.inventoryEvents, (message) => commitCompletedOrder(store, logger, message), {
          prefetch: config.prefetch ?? DEFAULT_PREFETCH,
        }),
      ],
    }),
  });
}

export const inventoryModule = participantModule<InventoryConfig>({
  stores: ['postgres', 'mongodb'],
  readConfig: (read, base) => ({
    ...base,
    lowStockThreshold: read.int('INVENTORY_LOW_THRESHOLD', DEFAULT_LOW_STOCK_THRESHOLD, { max: 1_000_000_000 }),
  }),
  start: startInventory,
});
