// The game flow: title, matchmaking, joining the race server, racing, reconnecting and results.
// It owns no DOM; view.ts draws what it says.

import { ApiError, ensureGuest, forgetGuest, requestMatch, seatGrants, type Match } from "./api";
import { localNow, ServerClock } from "./clock";
import { Close, RaceConnection, type CloseInfo } from "./connection";
import { Error_Code, PeerEvent_Kind, type Welcome } from "./gen/leapfrog/realtime/v1/realtime_pb";
import { OpCode } from "./gen/leapfrog/race/v1/race_pb";
import { RaceModel, type Phase, type RaceEvent } from "./race";

export type Screen = "title" | "matching" | "race" | "result";
export type Mode = "online" | "living-room";

/** One player this page drives: one WebSocket, one lane. */
interface Seat {
  index: number;
  playerId: string;
  token: string;
  conn: RaceConnection | null;
  /** The lane AssignPlayer gave this seat, or null before it. */
  lane: number | null;
  state: "connecting" | "open" | "reconnecting" | "closed";
  /** Local time the reconnect grace runs out, while reconnecting. */
  graceEndsAt: number;
  lastClose: CloseInfo | null;
}

/** An ending the server did not describe with a RaceResult (lost connection, shutdown...). */
export interface Ending {
  title: string;
  detail: string;
}

// How many times in a row a fresh match may land on a race that cannot take us before giving up.
const maxRequeues = 8;

export class App {
  screen: Screen = "title";
  mode: Mode | null = null;
  readonly model = new RaceModel();
  readonly clock = new ServerClock();
  ending: Ending | null = null;
  /** Local time matchmaking started, for the elapsed time on screen. */
  matchingSince = 0;
  /** Local time a Retry-After wait ends, 0 when not waiting, and why we wait. */
  retryUntil = 0;
  retryWhy = "";
  /** Set once this match's race has counted down: from then on, troubles mean reconnecting. */
  raced = false;
  opponentSeen = false;
  match: Match | null = null;
  /** Local time of each lane's last hop press, for button feedback. */
  readonly pressedAt = [0, 0];

  private seats: Seat[] = [];
  // Every flow (a match, a requeue, going back to the title) gets a number; async work that finds a
  // newer number has been overtaken and stops.
  private flow = 0;
  private requeues = 0;
  private notice = "";
  private noticeUntil = 0;
  private rematching: Promise<Match | null> | null = null;
  private frameWaiters: (() => void)[] = [];
  private readonly listeners: (() => void)[] = [];

  /** Registers a callback for screen changes. */
  onChange(fn: () => void): void {
    this.listeners.push(fn);
  }

  private setScreen(s: Screen): void {
    if (this.screen === s) return;
    this.screen = s;
    for (const fn of this.listeners) fn();
  }

  /** Shows a short message in the status line for a few seconds. */
  flash(text: string, ms = 4000): void {
    this.notice = text;
    this.noticeUntil = localNow() + ms;
  }

  get currentNotice(): string {
    return localNow() < this.noticeUntil ? this.notice : "";
  }

  /** Lanes this page drives. */
  get myLanes(): number[] {
    const out: number[] = [];
    for (const s of this.seats) if (s.lane !== null) out.push(s.lane);
    return out;
  }

  get openConnections(): number {
    return this.seats.filter((s) => s.conn?.isOpen).length;
  }

  /** The seat that is reconnecting, if any, and when its grace ends (local time). */
  get reconnecting(): Seat | null {
    return this.seats.find((s) => s.state === "reconnecting") ?? null;
  }

  get connecting(): boolean {
    return this.seats.some((s) => s.state === "connecting");
  }

  /** Called by the view after each drawn frame. */
  frameDrawn(): void {
    const waiters = this.frameWaiters;
    this.frameWaiters = [];
    for (const fn of waiters) fn();
  }

  /** Runs fn once the next frame is drawn, or soon anyway if frames are paused (a background tab). */
  private afterFrame(fn: () => void): void {
    let done = false;
    const once = () => {
      if (!done) {
        done = true;
        fn();
      }
    };
    this.frameWaiters.push(once);
    window.setTimeout(once, 300);
  }

  /** Closes every connection and makes any running flow stale. */
  private begin(): number {
    this.flow++;
    for (const s of this.seats) s.conn?.close();
    this.seats = [];
    this.match = null;
    this.rematching = null;
    this.retryUntil = 0;
    this.ending = null;
    this.raced = false;
    this.opponentSeen = false;
    this.model.reset();
    this.clock.reset();
    return this.flow;
  }

  /** Closes every connection, as the page goes away. */
  leave(): void {
    this.begin();
  }

  /** Back to the title screen. */
  toTitle(): void {
    this.begin();
    this.mode = null;
    this.setScreen("title");
  }

  /** Starts matchmaking for an online race or a living-room race. */
  async start(mode: Mode, continuing = false): Promise<void> {
    const flow = this.begin();
    this.mode = mode;
    if (!continuing) {
      this.matchingSince = localNow();
      this.requeues = 0;
    }
    this.setScreen("matching");
    const m = await this.obtainMatch(flow, mode === "living-room" ? 2 : 1, Infinity);
    if (!m || flow !== this.flow) return;
    this.join(flow, m);
  }

  /** Same mode again: "race again". */
  again(): void {
    void this.start(this.mode ?? "online");
  }

  /**
   * POST /v1/match until it works: waits out Retry-After on 503 and 429, gets a new guest on 401, retries
   * network trouble. Returns null if the flow went stale or the deadline (local ms) passed.
   */
  private async obtainMatch(flow: number, seats: 1 | 2, deadline: number): Promise<Match | null> {
    let authRetries = 0;
    for (;;) {
      if (flow !== this.flow || localNow() >= deadline) return null;
      try {
        const guest = await ensureGuest();
        if (flow !== this.flow) return null;
        const m = await requestMatch(guest.guest_token, seats);
        if (flow !== this.flow) return null;
        this.retryUntil = 0;
        return m;
      } catch (e) {
        if (flow !== this.flow) return null;
        const err = e instanceof ApiError ? e : new ApiError(0, "network", String(e));
        if (err.status === 401 && authRetries++ < 1) {
          forgetGuest();
          continue;
        }
        let waitS: number;
        if (err.retryable) {
          waitS = err.retryAfterS ?? 2;
          this.retryWhy = err.status === 503 ? "No free race track right now" : "Too many requests";
        } else if (err.status === 0 || err.status >= 500) {
          waitS = 3;
          this.retryWhy = err.status === 0 ? "Can't reach the server" : "The server had a problem";
        } else {
          this.end(flow, { title: "Can't start a race", detail: `The server said: ${err.message} (${err.code}).` });
          return null;
        }
        const until = Math.min(localNow() + Math.max(1, waitS) * 1000, deadline);
        this.retryUntil = until;
        await sleep(until - localNow());
        if (flow === this.flow) this.retryUntil = 0;
      }
    }
  }

  private join(flow: number, m: Match): void {
    this.match = m;
    const grants = seatGrants(m);
    const wanted = this.mode === "living-room" ? 2 : 1;
    if (grants.length < wanted) {
      this.end(flow, { title: "Can't start a race", detail: "The server gave this page one seat; living-room play needs two." });
      return;
    }
    this.seats = grants.slice(0, wanted).map((g, index) => ({
      index,
      playerId: g.player_id,
      token: g.player_session_token,
      conn: null,
      lane: null,
      state: "connecting" as const,
      graceEndsAt: 0,
      lastClose: null,
    }));
    for (const seat of this.seats) void this.connect(flow, seat, m.ws_url);
  }

  /** Opens the seat's WebSocket; resolves true on Welcome, false if it closed first. */
  private connect(flow: number, seat: Seat, url: string): Promise<boolean> {
    return new Promise((resolve) => {
      const conn = new RaceConnection(url, seat.token, this.clock, {
        welcome: (w) => {
          resolve(true);
          if (flow === this.flow) this.onWelcome(flow, seat, w);
        },
        game: (op, payload) => {
          if (flow === this.flow) this.onGame(flow, seat, op, payload);
        },
        serverError: (e) => {
          if (flow !== this.flow) return;
          if (e.code === Error_Code.SHUTTING_DOWN) this.flash("The race server is shutting down.", 10_000);
        },
        peer: (e) => {
          if (flow !== this.flow || this.seats.some((s) => s.playerId === e.playerId)) return;
          if (e.kind === PeerEvent_Kind.JOINED) {
            this.opponentSeen = true;
            if (!this.raced) this.flash("Opponent found. Get ready!");
          }
        },
        closed: (info) => {
          if (seat.conn === conn) seat.conn = null;
          seat.lastClose = info;
          resolve(false);
          if (flow === this.flow) this.onClosed(flow, seat, info);
        },
      });
      seat.conn = conn;
      conn.open();
    });
  }

  private onWelcome(flow: number, seat: Seat, w: Welcome): void {
    const back = seat.state === "reconnecting" || w.reconnected;
    seat.state = "open";
    if (back) this.flash("Reconnected.");
    // SceneReady (op 200) tells the server this player can see the race.
    this.afterFrame(() => {
      if (flow === this.flow) seat.conn?.send(OpCode.SCENE_READY);
    });
  }

  private onGame(flow: number, seat: Seat, op: number, payload: Uint8Array): void {
    let ev: RaceEvent;
    try {
      ev = this.model.apply(op, payload);
    } catch {
      return; // A payload this build cannot decode: skip it rather than stop the race.
    }
    switch (ev.kind) {
      case "assign":
        seat.lane = ev.lane;
        break;
      case "countdown":
        this.raced = true;
        this.opponentSeen = true;
        this.setScreen("race");
        break;
      case "snapshot":
        if (ev.phase === "finished") {
          if (!this.raced) this.requeue(flow, "That race was already over. Finding another…");
          else this.setScreen("result");
        } else if (ev.phase === "countdown" || ev.phase === "racing") {
          this.raced = true;
          this.opponentSeen = true;
          this.setScreen("race");
        }
        break;
      case "result":
        if (!this.raced && ev.result.reason !== "abandoned") {
          this.requeue(flow, "That race was already over. Finding another…");
          return;
        }
        this.setScreen("result");
        break;
      case "status":
        if (!this.myLanes.includes(ev.lane) && ev.status === "forfeited") this.flash("Your opponent left the race.");
        if (!this.myLanes.includes(ev.lane) && ev.status === "connected" && this.raced) this.flash("Your opponent is back.");
        break;
      default:
        break;
    }
  }

  private onClosed(flow: number, seat: Seat, info: CloseInfo): void {
    if (info.intentional) return;
    if (seat.state === "reconnecting" && !info.welcomed) return; // The reconnect loop decides.
    seat.state = "closed";
    if (this.model.phase === "finished") {
      this.setScreen("result");
      return;
    }
    const code = closeCode(info);
    if (code === Close.replaced) {
      this.end(flow, { title: "Playing elsewhere", detail: "This race was opened in another tab or window." });
      return;
    }
    if (!this.raced) {
      // Nothing to lose yet: ask the allocator again (it hands back our slot if it still stands).
      this.requeue(flow, code === Close.goingAway ? "That race server is shutting down. Finding another…" : "Lost the race server. Finding another…");
      return;
    }
    switch (code) {
      case Close.goingAway:
        this.end(flow, { title: "Server shut down", detail: "The race server shut down before the race finished." });
        return;
      case Close.normal:
        this.end(flow, { title: "Race over", detail: "The race server ended the race." });
        return;
      case Close.internal:
        this.end(flow, { title: "Server failed", detail: "The race server failed and is being replaced; the race is lost." });
        return;
      case Close.badToken:
      case Close.wrongServer:
      case Close.sessionFull:
      case Close.malformedFrame:
      case Close.rejected:
      case Close.messageTooBig:
        this.end(flow, { title: "Disconnected", detail: describeClose(info) });
        return;
      default:
        void this.reconnect(flow, seat);
    }
  }

  /**
   * Gets a seat back into its race: a fresh token from /v1/match (the allocator returns the same server
   * to the same player), then a new WebSocket, until the server's reconnect grace runs out.
   */
  private async reconnect(flow: number, seat: Seat): Promise<void> {
    seat.state = "reconnecting";
    seat.graceEndsAt = localNow() + this.model.rules.reconnectGraceMs;
    let delay = 200;
    while (flow === this.flow && localNow() < seat.graceEndsAt) {
      await sleep(delay);
      delay = Math.min(delay * 2, 2000);
      if (flow !== this.flow) return;
      if (this.model.phase === "finished") {
        seat.state = "closed";
        this.setScreen("result");
        return;
      }
      const m = await this.rematch(flow, seat.graceEndsAt);
      if (flow !== this.flow) return;
      if (!m) continue;
      if (this.match && m.game_server !== this.match.game_server) {
        this.end(flow, { title: "Connection lost", detail: "The race server is gone, and the race with it." });
        return;
      }
      const grants = seatGrants(m);
      const grant = grants.find((g) => g.player_id === seat.playerId) ?? grants[seat.index];
      if (!grant) continue;
      seat.token = grant.player_session_token;
      if (await this.connect(flow, seat, m.ws_url)) return;
      if (flow !== this.flow) return;
      const code = seat.lastClose ? closeCode(seat.lastClose) : 0;
      if (code === Close.rejected) {
        // The server no longer counts this player in the race: the grace ran out on its clock.
        this.end(flow, { title: "Race lost", detail: "Couldn't get back in time; the race went on without you." });
        return;
      }
      if (code === Close.replaced || code === Close.goingAway || code === Close.normal) {
        seat.state = "closed";
        this.onClosed(flow, seat, { ...seat.lastClose!, welcomed: true });
        return;
      }
    }
    if (flow === this.flow && seat.state === "reconnecting") {
      this.end(flow, { title: "Connection lost", detail: "Couldn't get back into the race in time." });
    }
  }

  /** One /v1/match shared by seats that reconnect at the same time. */
  private rematch(flow: number, deadline: number): Promise<Match | null> {
    if (!this.rematching) {
      const p = this.obtainMatch(flow, this.mode === "living-room" ? 2 : 1, deadline);
      this.rematching = p;
      void p.finally(() => {
        if (this.rematching === p) this.rematching = null;
      });
    }
    return this.rematching;
  }

  /** Starts matchmaking over after landing on a race that cannot take us. */
  private requeue(flow: number, why: string): void {
    if (flow !== this.flow) return;
    const mode = this.mode ?? "online";
    if (++this.requeues > maxRequeues) {
      this.end(flow, { title: "No race available", detail: why.replace(/ Finding another…$/, "") });
      return;
    }
    const next = this.begin();
    this.flash(why);
    this.setScreen("matching");
    void sleep(1000).then(() => {
      if (next === this.flow) void this.start(mode, true);
    });
  }

  /** Ends the flow with a message on the result screen. */
  private end(flow: number, ending: Ending): void {
    if (flow !== this.flow) return;
    this.flow++;
    for (const s of this.seats) {
      s.conn?.close();
      s.state = "closed";
    }
    this.retryUntil = 0;
    this.ending = ending;
    this.setScreen("result");
  }

  /** A hop press for a lane (keyboard, button or touch). Returns true if it was sent. */
  hop(lane: number): boolean {
    if (this.screen !== "race") return false;
    const seat = this.seats.find((s) => s.lane === lane);
    if (!seat?.conn?.isOpen) return false;
    // A press just before "Go!" by this page's clock may be just after it by the server's.
    if (this.model.phaseAt(this.clock.now() + 150) !== "racing") return false;
    if (this.model.frogs[lane]?.finishedAtMs) return false;
    this.pressedAt[lane] = localNow();
    return seat.conn.send(OpCode.HOP);
  }

  /** The phase shown now. */
  phaseNow(): Phase {
    return this.model.phaseAt(this.clock.now());
  }
}

/** The close code that best describes an ending: the Error frame's, else the WebSocket's. */
export function closeCode(info: CloseInfo): number {
  switch (info.error?.code) {
    case Error_Code.SHUTTING_DOWN:
      return Close.goingAway;
    case Error_Code.SESSION_ENDED:
      return Close.normal;
    case Error_Code.REPLACED:
      return Close.replaced;
    case Error_Code.REJECTED:
      return Close.rejected;
    default:
      return info.code;
  }
}

function describeClose(info: CloseInfo): string {
  if (info.error?.message) return `The race server said: ${info.error.message}.`;
  switch (info.code) {
    case Close.badToken:
    case Close.wrongServer:
      return "The race server did not accept this player's pass.";
    case Close.sessionFull:
      return "The race is full.";
    default:
      return `The connection closed (${info.code}${info.reason ? `: ${info.reason}` : ""}).`;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => window.setTimeout(resolve, Math.max(0, ms)));
}
