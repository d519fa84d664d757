export const PHASES = ['action', 'compensation', 'try', 'confirm', 'cancel'] as const;
export type Phase = (typeof PHASES)[number];
