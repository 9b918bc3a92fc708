// A fresh, migrated in-memory database per test.
import { openNodeDatabase, type NodeDatabase } from '../../src/db/node.js';

export function createTestDatabase(): NodeDatabase {
  return openNodeDatabase(':memory:');
}
