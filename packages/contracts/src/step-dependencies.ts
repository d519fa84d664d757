/** The steps a step of a definition waits for: its `dependsOn` as given,
 * or, without one, the step before it (the first step starts with the
 * transaction). The state machines plan by this rule; the console draws
 * definitions by it. */
export function dependenciesOf(steps: readonly { name: string; dependsOn?: readonly string[] }[], index: number): string[] {
  const explicit = steps[index]?.dependsOn;
  if (explicit) return [...explicit];
  return index === 0 ? [] : [steps[index - 1].name];
}
