import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** A registered definition version; immutable once written. */
@Entity('definitions')
export class DefinitionEntity {
  @PrimaryColumn('text') name!: string;
  @PrimaryColumn('int') version!: number;
  @Column('text') type!: string;
  @Column('jsonb') body!: unknown;
  @Column('text') hash!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
