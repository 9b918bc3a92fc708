// Send-rate limiting for the outbox sender, as Feishu states its limits: per app 50 a second AND 1,000 a minute,
// per receiver 5 a second (a chat, sends and replies alike; a person, all direct messages under their open_id),
// plus "blocked until" windows after Feishu says 429 / 99991400 / 230020. The clock and sleep are injectable.

export interface RateLimiterOptions {
  appPerSecond?: number;
  /** Feishu's per-app minute quota (1000/min), counted in a sliding window as well. */
  appPerMinute?: number;
  perReceiverPerSecond?: number;
  /** Window length; a little over 1 s to absorb clock differences with Feishu. */
  windowMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface RateLimiter {
  /** Milliseconds until a send to `key` is allowed (0 = now). */
  waitFor(key: string): number;
  /** Count a send to `key` as made now. */
  record(key: string): void;
  /** Stop sending to `key` (or app-wide when key is null) for ms. */
  block(key: string | null, ms: number): void;
  now(): number;
  sleep(ms: number): Promise<void>;
}

export function createRateLimiter(opts: RateLimiterOptions = {}): RateLimiter {
  const appLimit = opts.appPerSecond ?? 50;
  const keyLimit = opts.perReceiverPerSecond ?? 5;
  const windowMs = opts.windowMs ?? 1050;
  const minuteLimit = opts.appPerMinute ?? 1000;
  const minuteMs = 60 * windowMs;
  const minute: number[] = [];
  const now = opts.now ?? (() => Date.now());
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const app: number[] = [];
  const perKey = new Map<string, number[]>();
  const blocked = new Map<string, number>();
  const APP = '\u0000app';

  const prune = (log: number[], t: number, w = windowMs) => {
    while (log.length && log[0]! <= t - w) log.shift();
  };
  const waitIn = (log: number[], limit: number, t: number, w = windowMs) => {
    prune(log, t, w);
    return log.length < limit ? 0 : log[log.length - limit]! + w - t;
  };

  return {
    waitFor(key) {
      const t = now();
      const keyLog = perKey.get(key) ?? [];
      return Math.max(
        0,
        (blocked.get(APP) ?? 0) - t,
        (blocked.get(key) ?? 0) - t,
        waitIn(app, appLimit, t),
        waitIn(minute, minuteLimit, t, minuteMs),
        waitIn(keyLog, keyLimit, t),
      );
    },
    record(key) {
      const t = now();
      app.push(t);
      minute.push(t);
      let log = perKey.get(key);
      if (!log) perKey.set(key, (log = []));
      log.push(t);
      // Forget idle receivers so a long-running process does not grow without bound.
      if (perKey.size > 5000) for (const [k, l] of perKey) if (!l.length || l[l.length - 1]! <= t - windowMs) perKey.delete(k);
    },
    block(key, ms) {
      const k = key ?? APP;
      blocked.set(k, Math.max(blocked.get(k) ?? 0, now() + ms));
    },
    now,
    sleep,
  };
}
