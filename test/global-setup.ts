// Before the Node suite: build the service bundle `npm start` runs (scripts/build-node.mjs), so the tests that run
// the service as a process run what production runs.
import { buildNode } from '../scripts/build-node.mjs';

export default async function setup(): Promise<void> {
  await buildNode();
}
