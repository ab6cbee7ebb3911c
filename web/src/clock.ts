// The race server's wall clock as seen from this page.
//
// Every race time (hop start and end, countdown, grace) is server Unix milliseconds, so the page needs
// an estimate of the server's clock to animate frogs smoothly. Ping/Pong gives one sample per round trip
// (offset = server_time - (client_send + rtt / 2)); the sample with the shortest round trip among the
// recent ones is the least disturbed by queueing, so it wins.

/** The page's own clock in Unix milliseconds, monotonic within a page load. */
export function localNow(): number {
  return performance.timeOrigin + performance.now();
}

interface Sample {
  rtt: number;
  offset: number;
}

const keptSamples = 12;

export class ServerClock {
  private samples: Sample[] = [];
  private hinted: number | null = null;

  /** Forget every sample (a new race server has its own clock). */
  reset(): void {
    this.samples = [];
    this.hinted = null;
  }

  /**
   * Takes a server timestamp from a frame as a rough offset until the first Pong; it is late by the
   * one-way latency, which is better than assuming both clocks agree.
   */
  hint(serverTimeMs: number, receivedAt = localNow()): void {
    if (this.samples.length === 0 && serverTimeMs > 0) this.hinted = serverTimeMs - receivedAt;
  }

  /** Records a Pong that answers a Ping sent at clientSendMs (local clock). */
  pong(clientSendMs: number, serverTimeMs: number, receivedAt = localNow()): void {
    const rtt = receivedAt - clientSendMs;
    if (rtt < 0 || rtt > 30_000) return;
    this.samples.push({ rtt, offset: serverTimeMs - (clientSendMs + rtt / 2) });
    if (this.samples.length > keptSamples) this.samples.shift();
  }

  private best(): Sample | null {
    let best: Sample | null = null;
    for (const s of this.samples) if (best === null || s.rtt < best.rtt) best = s;
    return best;
  }

  /** Server clock minus local clock, in ms. */
  get offsetMs(): number {
    return this.best()?.offset ?? this.hinted ?? 0;
  }

  /** The shortest recent round trip in ms, or null before the first Pong. */
  get rttMs(): number | null {
    return this.best()?.rtt ?? null;
  }

  /** The server's clock now, in Unix ms. */
  now(): number {
    return localNow() + this.offsetMs;
  }

  /** Converts a server time to the local clock. */
  toLocal(serverMs: number): number {
    return serverMs - this.offsetMs;
  }
}
