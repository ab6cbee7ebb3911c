// Mega Frog Race in the browser: boots the game, the render loop and a read-only hook for browser tests.

import { App } from "./app";
import { View } from "./view";

/** What window.leapfrog.state() returns: a plain snapshot for browser tests to assert on. */
export interface TestState {
  screen: string;
  mode: string | null;
  phase: string;
  lanes: {
    lane: number;
    position: number;
    hopping: boolean;
    hops: number;
    penalties: number;
    penaltyMs: number;
    connected: boolean;
    finished: boolean;
    mine: boolean;
    status: string;
  }[];
  myLanes: number[];
  winner: number | null;
  reason: string | null;
  finishTimesMs: number[];
  ending: string | null;
  status: string;
  gameServer: string | null;
  connections: number;
  reconnecting: boolean;
  retrying: boolean;
  clockOffsetMs: number;
  rttMs: number | null;
}

declare global {
  interface Window {
    leapfrog?: { state(): TestState; fps(): number };
  }
}

function boot(): void {
  const app = new App();
  const view = new View(app);

  const loop = () => {
    view.frame();
    requestAnimationFrame(loop);
  };
  requestAnimationFrame(loop);

  // Leaving the page (or going into the back-forward cache) leaves the race at once, rather than
  // after the server notices a silent connection; coming back from that cache starts afresh.
  window.addEventListener("pagehide", () => app.leave());
  window.addEventListener("pageshow", (e) => {
    if (e.persisted) app.toTitle();
  });

  window.leapfrog = Object.freeze({
    state(): TestState {
      const t = app.clock.now();
      const r = app.model.result;
      const mine = app.myLanes;
      return {
        screen: app.screen,
        mode: app.mode,
        phase: app.phaseNow(),
        lanes: app.model.frogs.map((f) => ({
          lane: f.lane,
          position: app.model.position(f.lane, t),
          hopping: f.hopping && t < f.hopEndMs,
          hops: f.hops,
          penalties: f.penalties,
          penaltyMs: f.penaltyMs,
          connected: f.connected,
          finished: f.finishedAtMs > 0,
          mine: mine.includes(f.lane),
          status: app.model.laneInfo[f.lane]?.status ?? "connected",
        })),
        myLanes: mine,
        winner: r && r.winnerLane >= 0 ? r.winnerLane : null,
        reason: r ? r.reason : null,
        finishTimesMs: r ? [...r.finishTimesMs] : [],
        ending: app.ending ? app.ending.title : null,
        status: view.statusLine,
        gameServer: app.match?.game_server ?? null,
        connections: app.openConnections,
        reconnecting: app.reconnecting !== null,
        retrying: app.retryUntil > 0,
        clockOffsetMs: Math.round(app.clock.offsetMs),
        rttMs: app.clock.rttMs,
      };
    },
    fps: () => view.fps(),
  });
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
else boot();
