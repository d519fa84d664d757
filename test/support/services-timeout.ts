// Tests and hooks of the services tier start and stop real processes and
// servers: on a loaded 2-core machine closing a Nest app alone can pass
// jest's 5 s. (`testTimeout` in a project's config is not read: jest takes
// it from the global config only.)
import { jest } from '@jest/globals';

jest.setTimeout(30_000);
