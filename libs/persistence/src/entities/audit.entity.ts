import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** Every operator action: who, what, why, when. */
@Entity('audit')
@Index('audit_target_idx', ['target', 'id'])
export class AuditEntity {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id!: string;
  @Column('text') actor!: string;
  @Column('text') action!: string;
  @Column('text', { nullable: true }) target!: string | null;
  @Column('text', { nullable: true }) note!: string | null;
  @Column('jsonb', { nullable: true }) details!: unknown;
  @CreateDateColumn({ name: 'at', type: 'timestamptz' }) at!: Date;
}
