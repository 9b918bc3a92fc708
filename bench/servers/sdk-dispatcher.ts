// Comparison server for the intake bench: the official SDK's EventDispatcher on node:http (adaptDefault), which
// checks the signature, decrypts and dispatches im.message.receive_v1 to a handler that only counts (no storage).
import http from 'node:http';
import * as lark from '@larksuiteoapi/node-sdk';

const dispatcher = new lark.EventDispatcher({
  encryptKey: process.env.LARK_ENCRYPT_KEY!,
  verificationToken: process.env.LARK_VERIFICATION_TOKEN!,
  loggerLevel: lark.LoggerLevel.error,
}).register({
  'im.message.receive_v1': async () => {
    handled++;
    return {};
  },
});
let handled = 0;
const server = http.createServer(lark.adaptDefault('/lark/events', dispatcher, { autoChallenge: true }));
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const a = server.address();
  console.log(`READY ${typeof a === 'object' && a ? a.port : 0}`);
});
process.on('SIGTERM', () => {
  console.error(`sdk dispatcher handled ${handled} events`);
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
