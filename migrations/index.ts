import { InitialSchema1795300000000 } from './1795300000000-InitialSchema';
import { RetentionIndex1795400000000 } from './1795400000000-RetentionIndex';
import { ApiKeyNames1795510000000 } from './1795510000000-ApiKeyNames';
import { WhyItEnded1795600000000 } from './1795600000000-WhyItEnded';
import { DropNamespace1795610000000 } from './1795610000000-DropNamespace';
import { TraceState1795650000000 } from './1795650000000-TraceState';
import { PreclaimedCalls1795700000000 } from './1795700000000-PreclaimedCalls';
import { RetentionLookups1795720000000 } from './1795720000000-RetentionLookups';
import { StepsFillFactor1795730000000 } from './1795730000000-StepsFillFactor';

/** Listed explicitly (no glob), so the build and the tests load the same set. */
export const MIGRATIONS = [InitialSchema1795300000000, RetentionIndex1795400000000, ApiKeyNames1795510000000, WhyItEnded1795600000000,
  DropNamespace1795610000000, TraceState1795650000000, PreclaimedCalls1795700000000, RetentionLookups1795720000000, StepsFillFactor1795730000000];
