import type { Clock } from '@accord/core';

export function systemClock(): Clock {
  return { now: Date.now(), random: Math.random };
}
