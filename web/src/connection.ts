// One WebSocket to a race server, speaking leapfrog.realtime.v1 frames (docs/contracts.md).

import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  ClientFrameSchema,
  Error_Code,
  ServerFrameSchema,
  type ClientFrame,
  type Error as ErrorFrame,
  type PeerEvent,
  type Welcome,
} from "./gen/leapfrog/realtime/v1/realtime_pb";
import { localNow, type ServerClock } from "./clock";
import { CloseCode } from "./gen/leapfrog/contract";

export const clientVersion = "leapfrog-web/1";

/** WebSocket close codes: the servers' (contract/closecode, generated) and this page's own. */
export const Close = {
  ...CloseCode,
  /** The browser's code for a connection lost without a close frame. */
  abnormal: 1006,
  /** Not on the wire: this page gave up on a silent or unresponsive server. */
  clientTimeout: 4900,
} as const;

/** How a connection ended. */
export interface CloseInfo {
  code: number;
  reason: string;
  /** The last fatal Error frame the server sent before closing, if any. */
  error: ErrorFrame | null;
  /** True when a Welcome arrived on this connection. */
  welcomed: boolean;
  /** True when this page closed it on purpose. */
  intentional: boolean;
}

export interface ConnectionEvents {
  welcome(w: Welcome): void;
  game(opCode: number, payload: Uint8Array, serverTimeMs: number): void;
  serverError(e: ErrorFrame): void;
  peer(e: PeerEvent): void;
  /** Called exactly once, however the connection ends. */
  closed(info: CloseInfo): void;
}

// Early pings converge the clock estimate quickly; later ones keep it fresh and prove liveness.
const pingBurst = [0, 250, 500, 750, 1000, 1500];
const pingPeriodMs = 2000;
const welcomeTimeoutMs = 10_000;
// Pongs arrive every pingPeriodMs, so this much silence means the path is gone.
const silenceTimeoutMs = 8000;

export class RaceConnection {
  private ws: WebSocket | null = null;
  private timers: number[] = [];
  private lastHeard = 0;
  private welcomed = false;
  private lastError: ErrorFrame | null = null;
  private done = false;
  private intentional = false;

  constructor(
    readonly url: string,
    private readonly token: string,
    private readonly clock: ServerClock,
    private readonly events: ConnectionEvents,
  ) {}

  get isOpen(): boolean {
    return this.welcomed && !this.done;
  }

  open(): void {
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.url);
    } catch {
      // A malformed URL: report it the way a failed connection is reported.
      queueMicrotask(() => this.finish(Close.abnormal, "bad url"));
      return;
    }
    this.ws = ws;
    ws.binaryType = "arraybuffer";
    ws.onopen = () => {
      this.lastHeard = localNow();
      this.sendFrame(
        create(ClientFrameSchema, {
          payload: { case: "hello", value: { playerSessionToken: this.token, clientVersion } },
        }),
      );
    };
    ws.onmessage = (ev: MessageEvent) => this.receive(ev.data);
    ws.onerror = () => {
      // The close event that always follows says how it ended.
    };
    ws.onclose = (ev: CloseEvent) => this.finish(ev.code, ev.reason);
    this.after(welcomeTimeoutMs, () => {
      if (!this.welcomed) this.abort(Close.clientTimeout, "no welcome");
    });
  }

  /** Sends an op-coded game message to the server. */
  send(opCode: number, payload?: Uint8Array): boolean {
    if (!this.isOpen) return false;
    return this.sendFrame(
      create(ClientFrameSchema, {
        payload: { case: "message", value: { opCode, payload: payload ?? new Uint8Array() } },
      }),
    );
  }

  /** Closes the connection on purpose; closed() still fires, with intentional set. */
  close(): void {
    this.intentional = true;
    this.abort(Close.normal, "client closed");
  }

  private abort(code: number, reason: string): void {
    const ws = this.ws;
    if (ws && ws.readyState <= WebSocket.OPEN) {
      ws.onclose = null;
      ws.close(1000, reason);
    }
    this.finish(code, reason);
  }

  private finish(code: number, reason: string): void {
    if (this.done) return;
    this.done = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    if (this.ws) {
      this.ws.onopen = this.ws.onmessage = this.ws.onerror = this.ws.onclose = null;
    }
    this.events.closed({
      code,
      reason,
      error: this.lastError,
      welcomed: this.welcomed,
      intentional: this.intentional,
    });
  }

  private sendFrame(frame: ClientFrame): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(toBinary(ClientFrameSchema, frame));
    return true;
  }

  private ping(): void {
    this.sendFrame(
      create(ClientFrameSchema, {
        payload: { case: "ping", value: { clientTimeMs: BigInt(Math.round(localNow())) } },
      }),
    );
  }

  private after(ms: number, fn: () => void): void {
    this.timers.push(window.setTimeout(fn, ms));
  }

  private startPinging(): void {
    for (const at of pingBurst) this.after(at, () => this.ping());
    // Background tabs run timers late (up to once a minute), so silence is measured from the oldest
    // unanswered ping, not from the last time a timer ran.
    let unansweredSince = 0;
    const keepAlive = () => {
      if (this.done) return;
      const now = localNow();
      if (this.lastHeard >= unansweredSince) unansweredSince = 0;
      if (unansweredSince > 0 && now - unansweredSince > silenceTimeoutMs) {
        this.abort(Close.clientTimeout, "server silent");
        return;
      }
      if (unansweredSince === 0) unansweredSince = now;
      this.ping();
      this.after(pingPeriodMs, keepAlive);
    };
    this.after(pingBurst[pingBurst.length - 1] + pingPeriodMs, keepAlive);
  }

  private receive(data: unknown): void {
    if (this.done || !(data instanceof ArrayBuffer)) return;
    const now = localNow();
    this.lastHeard = now;
    let frame;
    try {
      frame = fromBinary(ServerFrameSchema, new Uint8Array(data));
    } catch {
      this.abort(Close.malformedFrame, "undecodable frame from server");
      return;
    }
    const p = frame.payload;
    switch (p.case) {
      case "welcome":
        this.clock.hint(Number(p.value.serverTimeMs), now);
        this.welcomed = true;
        this.startPinging();
        this.events.welcome(p.value);
        break;
      case "pong":
        this.clock.pong(Number(p.value.clientTimeMs), Number(p.value.serverTimeMs), now);
        break;
      case "message":
        if (!this.welcomed) return;
        this.clock.hint(Number(p.value.serverTimeMs), now);
        this.events.game(p.value.opCode, p.value.payload, Number(p.value.serverTimeMs));
        break;
      case "error":
        if (isFatal(p.value.code)) this.lastError = p.value;
        this.events.serverError(p.value);
        break;
      case "peerEvent":
        this.events.peer(p.value);
        break;
      default:
        // Group membership and future frames: this game does not use them.
        break;
    }
  }
}

/** Fatal errors are followed by a close (realtime.proto); the others leave the connection open. */
export function isFatal(code: Error_Code): boolean {
  return code !== Error_Code.UNKNOWN_OP_CODE && code !== Error_Code.INVALID_TARGET && code !== Error_Code.UNSPECIFIED;
}
