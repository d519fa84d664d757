import { ApiKeyEntity } from './api-key.entity';
import { AttemptEntity } from './attempt.entity';
import { AuditEntity } from './audit.entity';
import { DefinitionEntity } from './definition.entity';
import { IdempotencyKeyEntity } from './idempotency-key.entity';
import { OutboxEntity } from './outbox.entity';
import { StepEntity } from './step.entity';
import { TransactionEntity } from './transaction.entity';

export { ApiKeyEntity, AttemptEntity, AuditEntity, DefinitionEntity, IdempotencyKeyEntity, OutboxEntity, StepEntity, TransactionEntity };

export const ENTITIES = [
  DefinitionEntity,
  TransactionEntity,
  StepEntity,
  AttemptEntity,
  IdempotencyKeyEntity,
  AuditEntity,
  ApiKeyEntity,
  OutboxEntity,
];
