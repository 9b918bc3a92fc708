// Inside workerd: read what the Node-side fake Feishu server recorded, through its loopback control server.
import { env } from 'cloudflare:workers';

export interface SeenRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: Record<string, unknown>;
  status: number;
  code?: number;
}

export async function fakeRequests(filter: (r: SeenRequest) => boolean = () => true): Promise<SeenRequest[]> {
  const res = await fetch(`${env.FAKE_LARK_CONTROL}/requests`);
  return ((await res.json()) as SeenRequest[]).filter(filter);
}

/** Message API calls (send, reply, patch) — every attempt, including ones the fake de-duplicated by uuid. */
export async function messageCalls(filter: (r: SeenRequest) => boolean = () => true): Promise<SeenRequest[]> {
  return fakeRequests((r) => r.path.startsWith('/open-apis/im/v1/messages') && filter(r));
}
