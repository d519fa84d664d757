import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * Announcements to deliver at least once (today: `transaction.stuck` to
 * STUCK_WEBHOOK_URL). A row is written in the same statement as the
 * transition it announces, so a crash cannot lose it; `due_at` doubles as
 * the delivering replica's lease.
 */
@Entity('outbox')
@Index('outbox_due_idx', ['dueAt'], { where: 'delivered_at IS NULL' })
@Index('outbox_transaction_idx', ['transactionId'])
export class OutboxEntity {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id!: string;
  @Column('text') topic!: string;
  @Column('uuid', { name: 'transaction_id' }) transactionId!: string;
  @Column('jsonb') payload!: unknown;
  @Column('int', { default: 0 }) attempts!: number;
  @Column('timestamptz', { name: 'due_at', default: () => 'now()' }) dueAt!: Date;
  @Column('timestamptz', { name: 'delivered_at', nullable: true }) deliveredAt!: Date | null;
  @Column('text', { name: 'last_error', nullable: true }) lastError!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
