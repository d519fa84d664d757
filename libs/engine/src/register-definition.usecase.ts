import { canonicalJson, type MessageTransport } from '@accord/contracts';
import { compileDefinition, forbiddenTargets, unconfiguredTransports, type TargetPolicy } from '@accord/core';
import { sha256, type DefinitionRecord, type DefinitionStore } from '@accord/persistence';
import { EngineError } from './engine.error';

export class RegisterDefinition {
  constructor(
    private readonly definitions: DefinitionStore,
    private readonly targets: TargetPolicy,
    /** The message transports this coordinator has a broker for. */
    private readonly transports: ReadonlySet<MessageTransport>,
  ) {}

  /** Validates and stores the next version; an identical body returns the
   * latest version (`created: false`). */
  async execute(body: unknown): Promise<{ record: DefinitionRecord; created: boolean }> {
    const compiled = compileDefinition(body);
    if (!compiled.ok) throw new EngineError('VALIDATION_FAILED', 'invalid definition', compiled.issues);
    const { name, spec, plan } = compiled.value;
    const forbidden = forbiddenTargets(spec, this.targets);
    if (forbidden.length > 0) throw new EngineError('FORBIDDEN_TARGET', 'a step endpoint is a forbidden target', forbidden);
    const unconfigured = unconfiguredTransports(plan, this.transports);
    if (unconfigured.length > 0) {
      throw new EngineError('TRANSPORT_NOT_CONFIGURED', 'a step endpoint names a transport this coordinator has no broker for', unconfigured);
    }
    const canonical = { name, ...spec };
    return this.definitions.register(name, spec.type, canonical, sha256(canonicalJson(canonical)));
  }
}
