import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** Append-only log of every participant call. */
@Entity('attempts')
@Index('attempts_transaction_idx', ['transactionId', 'id'])
export class AttemptEntity {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id!: string;
  @Column('uuid', { name: 'transaction_id' }) transactionId!: string;
  @Column('text') step!: string;
  @Column('text') phase!: string;
  @Column('int') attempt!: number;
  @Column('int') claim!: number;
  @Column('timestamptz', { name: 'started_at' }) startedAt!: Date;
  @Column('int', { name: 'latency_ms' }) latencyMs!: number;
  @Column('text') outcome!: string;
  @Column('int', { name: 'status_code', nullable: true }) statusCode!: number | null;
  @Column('text', { nullable: true }) error!: string | null;
  @Column('jsonb', { nullable: true }) request!: unknown;
  /** False when the result arrived stale and did not move the state machine. */
  @Column('boolean') applied!: boolean;
  /** This call used up its step's retry budget. */
  @Column('boolean', { name: 'budget_exhausted', default: false }) budgetExhausted!: boolean;
  @Column('text') worker!: string;
}
