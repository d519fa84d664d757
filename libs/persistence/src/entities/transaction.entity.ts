import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { DEADLINE_STATUSES, sqlStatusList } from '@accord/contracts';

@Entity('transactions')
@Index('transactions_list_idx', ['createdAt', 'id'])
@Index('transactions_status_idx', ['status', 'createdAt'])
@Index('transactions_definition_idx', ['definitionName', 'createdAt'])
@Index('transactions_finished_idx', ['finishedAt'], { where: 'finished_at IS NOT NULL' })
@Index('transactions_deadline_idx', ['deadlineAt'], { where: `status IN ${sqlStatusList(DEADLINE_STATUSES)} AND deadline_at IS NOT NULL` })
export class TransactionEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('text', { name: 'definition_name', nullable: true }) definitionName!: string | null;
  @Column('int', { name: 'definition_version', nullable: true }) definitionVersion!: number | null;
  /** The inline spec of a one-off transaction; null for registered definitions. */
  @Column('jsonb', { nullable: true }) spec!: unknown;
  @Column('text') type!: string;
  @Column('text') status!: string;
  @Column('text') direction!: string;
  @Column('boolean', { name: 'pivot_passed', default: false }) pivotPassed!: boolean;
  @Column('jsonb', { nullable: true }) input!: unknown;
  @Column('timestamptz', { name: 'deadline_at', nullable: true }) deadlineAt!: Date | null;
  /** Optimistic lock: every transition increments it. */
  @Column('int', { default: 0 }) version!: number;
  /** The W3C trace context of the trace the transaction belongs to (tracing on: its start span). */
  @Column('text', { nullable: true }) traceparent!: string | null;
  @Column('text', { nullable: true }) tracestate!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
  @Column('timestamptz', { name: 'finished_at', nullable: true }) finishedAt!: Date | null;
  /** Why it rolled back or cancelled: `{step, phase, message}`. */
  @Column('jsonb', { name: 'rollback_reason', nullable: true }) rollbackReason!: unknown;
  /** Why it is (or was, when resolved) STUCK: `{step, phase, message}`. */
  @Column('jsonb', { name: 'stuck_reason', nullable: true }) stuckReason!: unknown;
}
