// The real duban Node service for benchmarks: startNodeService with the environment given by the bench.
// SIGTERM closes it, which waits for the work deferred after each ack, so the database is final on exit.
import { startNodeService } from '../../src/node.js';

const svc = await startNodeService(process.env);
console.log(`READY ${svc.port}`);
process.on('SIGTERM', () => {
  svc.close().then(
    () => process.exit(0),
    (err) => {
      console.error('close failed', err);
      process.exit(1);
    },
  );
});
