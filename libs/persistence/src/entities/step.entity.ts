import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity('steps')
@Index('steps_due_idx', ['dueAt'], { where: 'due_at IS NOT NULL' })
export class StepEntity {
  @PrimaryColumn('uuid', { name: 'transaction_id' }) transactionId!: string;
  @PrimaryColumn('text') name!: string;
  @Column('int') idx!: number;
  @Column('text') status!: string;
  @Column('text', { nullable: true }) phase!: string | null;
  @Column('int', { default: 0 }) attempt!: number;
  @Column('int', { name: 'attempt_base', default: 0 }) attemptBase!: number;
  @Column('timestamptz', { name: 'due_at', nullable: true }) dueAt!: Date | null;
  @Column('timestamptz', { name: 'lease_until', nullable: true }) leaseUntil!: Date | null;
  /** Lease length for the owed call: its timeout plus a margin. */
  @Column('int', { name: 'lease_ms', default: 0 }) leaseMs!: number;
  /** Fencing token: bumped by every claim, so a result from an older claim is stale. */
  @Column('int', { default: 0 }) claim!: number;
  /** The claim was taken by the statement that scheduled the call, for its job; no worker has claimed it since. */
  @Column('boolean', { default: false }) preclaimed!: boolean;
  @Column('boolean', { name: 'may_have_applied', default: false }) mayHaveApplied!: boolean;
  @Column('jsonb', { nullable: true }) input!: unknown;
  @Column('jsonb', { nullable: true }) output!: unknown;
  @Column('text', { name: 'last_error', nullable: true }) lastError!: string | null;
  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' }) updatedAt!: Date;
}
