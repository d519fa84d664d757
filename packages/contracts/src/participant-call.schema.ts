import { PHASES, type ParticipantCall } from './participant.protocol';
import { z } from 'zod';

/** The body the coordinator POSTs to a participant. */
export const participantCallSchema = z.object({
  transactionId: z.string().min(1),
  step: z.string().min(1),
  phase: z.enum(PHASES),
  attempt: z.number().int().min(1),
  input: z.unknown(),
}) satisfies z.ZodType<ParticipantCall>;
