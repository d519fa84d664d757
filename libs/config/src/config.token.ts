/** Nest injection token of the AccordConfig object. */
export const ACCORD_CONFIG = Symbol('ACCORD_CONFIG');
