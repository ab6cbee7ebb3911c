// The race as this page knows it: built from the server's race messages (race.proto), in server time.

import { fromBinary } from "@bufbuild/protobuf";
import {
  AssignPlayerSchema,
  CountdownSchema,
  FrogMovedSchema,
  FrogMoved_Cause,
  OpCode,
  Phase as WirePhase,
  PlayerStatusSchema,
  PlayerStatus_Status,
  RaceResultSchema,
  RaceResult_Reason,
  RaceSnapshotSchema,
  type Frog as WireFrog,
  type RaceResult as WireResult,
  type Rules as WireRules,
} from "./gen/leapfrog/race/v1/race_pb";

export type Phase = "none" | "waiting" | "countdown" | "racing" | "finished";

export interface Rules {
  hopDistance: number;
  hopDurationMs: number;
  hopPenaltyMs: number;
  finishLine: number;
  players: number;
  countdownMs: number;
  reconnectGraceMs: number;
}

/** The defaults of the race server (docs/contracts.md), used until AssignPlayer brings the real ones. */
export const defaultRules: Rules = {
  hopDistance: 0.2,
  hopDurationMs: 4000,
  hopPenaltyMs: 100,
  finishLine: 1,
  players: 2,
  countdownMs: 3000,
  reconnectGraceMs: 10_000,
};

export interface Frog {
  lane: number;
  playerId: string;
  from: number;
  to: number;
  hopStartMs: number;
  hopEndMs: number;
  penaltyMs: number;
  hops: number;
  penalties: number;
  hopping: boolean;
  connected: boolean;
  finishedAtMs: number;
  /** Server time of the last penalty, for the annoyed-frog animation; 0 if none yet. */
  lastPenaltyMs: number;
}

export type ResultReason = "finish" | "forfeit" | "abandoned" | "idle" | "unknown";

export interface Result {
  winnerLane: number;
  winnerPlayerId: string;
  reason: ResultReason;
  finishTimesMs: number[];
  tieBreak: boolean;
  /** Server time the race ended; frogs still in the air stop there. */
  endedAtMs: number;
}

export type LaneStatus = "connected" | "reconnecting" | "forfeited";

export interface LaneInfo {
  status: LaneStatus;
  /** While reconnecting: the server time the grace ends. */
  graceEndsMs: number;
}

/** What a race message changed, for the screens to react to. */
export type RaceEvent =
  | { kind: "assign"; lane: number; playerId: string; peerId: number }
  | { kind: "countdown"; startAtMs: number }
  | { kind: "moved"; lane: number; cause: "hop" | "penalty" | "landed" | "other" }
  | { kind: "result"; result: Result }
  | { kind: "snapshot"; phase: Phase }
  | { kind: "status"; lane: number; playerId: string; status: LaneStatus }
  | { kind: "ignored"; opCode: number };

function newFrog(lane: number): Frog {
  return {
    lane,
    playerId: "",
    from: 0,
    to: 0,
    hopStartMs: 0,
    hopEndMs: 0,
    penaltyMs: 0,
    hops: 0,
    penalties: 0,
    hopping: false,
    connected: true,
    finishedAtMs: 0,
    lastPenaltyMs: 0,
  };
}

const lanes = 2;

export class RaceModel {
  rules: Rules = { ...defaultRules };
  phase: Phase = "none";
  startAtMs = 0;
  frogs: Frog[] = [];
  laneInfo: LaneInfo[] = [];
  result: Result | null = null;
  // Frogs only move forwards; the highest position drawn so far hides small clock corrections.
  private shown: number[] = [];

  constructor() {
    this.reset();
  }

  reset(): void {
    this.rules = { ...defaultRules };
    this.phase = "none";
    this.startAtMs = 0;
    this.result = null;
    this.frogs = Array.from({ length: lanes }, (_, i) => newFrog(i));
    this.laneInfo = Array.from({ length: lanes }, () => ({ status: "connected" as LaneStatus, graceEndsMs: 0 }));
    this.shown = new Array<number>(lanes).fill(0);
  }

  /** The phase at server time t: a countdown turns into the race at its start time. */
  phaseAt(t: number): Phase {
    if (this.phase === "countdown" && this.startAtMs > 0 && t >= this.startAtMs) return "racing";
    return this.phase;
  }

  /** Applies one race message (a GameMessage's op code and payload). */
  apply(opCode: number, payload: Uint8Array): RaceEvent {
    switch (opCode) {
      case OpCode.ASSIGN_PLAYER: {
        const m = fromBinary(AssignPlayerSchema, payload);
        if (m.rules) this.rules = toRules(m.rules);
        if (this.phase === "none") this.phase = "waiting";
        const f = this.frog(m.lane);
        if (f && m.playerId) f.playerId = m.playerId;
        return { kind: "assign", lane: m.lane, playerId: m.playerId, peerId: m.peerId };
      }
      case OpCode.COUNTDOWN: {
        const m = fromBinary(CountdownSchema, payload);
        if (this.phase !== "finished") this.phase = "countdown";
        this.startAtMs = Number(m.startAtMs);
        return { kind: "countdown", startAtMs: this.startAtMs };
      }
      case OpCode.FROG_MOVED: {
        const m = fromBinary(FrogMovedSchema, payload);
        if (!m.frog) return { kind: "ignored", opCode };
        const cause =
          m.cause === FrogMoved_Cause.HOP
            ? "hop"
            : m.cause === FrogMoved_Cause.PENALTY
              ? "penalty"
              : m.cause === FrogMoved_Cause.LANDED
                ? "landed"
                : "other";
        this.setFrog(m.frog, Number(m.serverTimeMs));
        return { kind: "moved", lane: m.frog.lane, cause };
      }
      case OpCode.RACE_RESULT: {
        const m = fromBinary(RaceResultSchema, payload);
        this.result = toResult(m);
        this.phase = "finished";
        return { kind: "result", result: this.result };
      }
      case OpCode.RACE_SNAPSHOT: {
        const m = fromBinary(RaceSnapshotSchema, payload);
        this.phase = toPhase(m.phase);
        this.startAtMs = Number(m.startAtMs);
        for (const f of m.frogs) this.setFrog(f, Number(m.serverTimeMs), true);
        if (m.result && this.phase === "finished") this.result = toResult(m.result);
        return { kind: "snapshot", phase: this.phase };
      }
      case OpCode.PLAYER_STATUS: {
        const m = fromBinary(PlayerStatusSchema, payload);
        const status: LaneStatus =
          m.status === PlayerStatus_Status.RECONNECTING
            ? "reconnecting"
            : m.status === PlayerStatus_Status.FORFEITED
              ? "forfeited"
              : "connected";
        const info = this.laneInfo[m.lane];
        if (info) {
          info.status = status;
          info.graceEndsMs = Number(m.graceEndsMs);
        }
        const f = this.frog(m.lane);
        if (f) f.connected = status === "connected";
        return { kind: "status", lane: m.lane, playerId: m.playerId, status };
      }
      default:
        return { kind: "ignored", opCode };
    }
  }

  private frog(lane: number): Frog | undefined {
    return this.frogs[lane];
  }

  private setFrog(w: WireFrog, serverTimeMs: number, fromSnapshot = false): void {
    const f = this.frog(w.lane);
    if (!f) return;
    const penalties = w.penalties;
    // Living-room pages get every broadcast twice (one per seat): count a penalty once.
    if (penalties > f.penalties && !fromSnapshot) f.lastPenaltyMs = serverTimeMs || Number(w.hopStartMs);
    f.playerId = w.playerId || f.playerId;
    f.from = w.from;
    f.to = w.to;
    f.hopStartMs = Number(w.hopStartMs);
    f.hopEndMs = Number(w.hopEndMs);
    f.penaltyMs = Number(w.penaltyMs);
    f.hops = w.hops;
    f.penalties = penalties;
    f.hopping = w.hopping;
    f.connected = w.connected;
    f.finishedAtMs = Number(w.finishedAtMs);
    if (fromSnapshot) {
      // A snapshot is the truth: restart the drawn position from it.
      this.shown[w.lane] = w.hopping ? w.from : w.to;
      // A frog without a connection is only "reconnecting" once it has raced; before that its lane is
      // simply not taken yet.
      const info = this.laneInfo[w.lane];
      const raced = this.phase === "countdown" || this.phase === "racing";
      if (info && info.status !== "forfeited") {
        info.status = w.connected || !w.playerId || !raced ? "connected" : "reconnecting";
      }
    }
  }

  /** Time stops at the end of the race: a frog in mid-air when the winner landed did not get further. */
  private frozen(t: number): number {
    const end = this.result?.endedAtMs ?? 0;
    return end > 0 && t > end ? end : t;
  }

  /** Hop progress of a lane at server time t: 0 before the hop, 1 once landed. */
  hopProgress(lane: number, t: number): number {
    t = this.frozen(t);
    const f = this.frogs[lane];
    if (!f || !f.hopping) return 1;
    if (t <= f.hopStartMs) return 0;
    if (t >= f.hopEndMs || f.hopEndMs <= f.hopStartMs) return 1;
    return (t - f.hopStartMs) / (f.hopEndMs - f.hopStartMs);
  }

  /** Where a lane's frog is at server time t, as a fraction of the track. */
  position(lane: number, t: number): number {
    const f = this.frogs[lane];
    if (!f) return 0;
    const p = this.hopProgress(lane, t);
    const raw = f.hopping ? f.from + (f.to - f.from) * easeHop(p) : f.to;
    // A penalty pushes the hop's end later, which would move the frog back a little: hold it instead.
    const shown = Math.max(raw, this.shown[lane] ?? 0);
    this.shown[lane] = shown;
    return Math.min(shown, this.rules.finishLine);
  }

  /** True while the lane's frog shows its annoyance at a penalty. */
  annoyed(lane: number, t: number): boolean {
    const f = this.frogs[lane];
    return !!f && f.lastPenaltyMs > 0 && t - f.lastPenaltyMs < 900;
  }
}

/** A hop leaves slowly, flies, and settles: smoothstep. */
export function easeHop(p: number): number {
  const x = Math.min(1, Math.max(0, p));
  return x * x * (3 - 2 * x);
}

function toRules(r: WireRules): Rules {
  const pos = (v: number, d: number) => (Number.isFinite(v) && v > 0 ? v : d);
  return {
    hopDistance: pos(r.hopDistance, defaultRules.hopDistance),
    hopDurationMs: pos(Number(r.hopDurationMs), defaultRules.hopDurationMs),
    hopPenaltyMs: pos(Number(r.hopPenaltyMs), defaultRules.hopPenaltyMs),
    finishLine: pos(r.finishLine, defaultRules.finishLine),
    players: pos(r.players, defaultRules.players),
    countdownMs: pos(Number(r.countdownMs), defaultRules.countdownMs),
    reconnectGraceMs: pos(Number(r.reconnectGraceMs), defaultRules.reconnectGraceMs),
  };
}

function toPhase(p: WirePhase): Phase {
  switch (p) {
    case WirePhase.WAITING:
      return "waiting";
    case WirePhase.COUNTDOWN:
      return "countdown";
    case WirePhase.RACING:
      return "racing";
    case WirePhase.FINISHED:
      return "finished";
    default:
      return "none";
  }
}

function toResult(r: WireResult): Result {
  const reason: ResultReason =
    r.reason === RaceResult_Reason.FINISH
      ? "finish"
      : r.reason === RaceResult_Reason.FORFEIT
        ? "forfeit"
        : r.reason === RaceResult_Reason.ABANDONED
          ? "abandoned"
          : r.reason === RaceResult_Reason.IDLE
            ? "idle"
            : "unknown";
  return {
    winnerLane: r.winnerLane,
    winnerPlayerId: r.winnerPlayerId,
    reason,
    finishTimesMs: r.finishTimesMs.map(Number),
    tieBreak: r.tieBreak,
    endedAtMs: Number(r.serverTimeMs),
  };
}
