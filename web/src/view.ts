// Binds the App to the page: screens, HUD, status line, keyboard and pointer input, the render loop.

import { localNow } from "./clock";
import type { App } from "./app";
import { Scene } from "./scene";

const laneNames = ["Left", "Right"];
const laneKeys = ["Space", "Right Shift"];

function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  return el as T;
}

function setText(el: HTMLElement, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

function show(el: HTMLElement, visible: boolean): void {
  if (el.hidden === visible) el.hidden = !visible;
}

/** Formats ms as seconds with one decimal, for race times. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

function clockText(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

export class View {
  private readonly scene: Scene;
  private readonly root = $("app");
  private readonly canvas = $<HTMLCanvasElement>("scene");
  private readonly titleScreen = $("title-screen");
  private readonly matchingScreen = $("matching-screen");
  private readonly resultScreen = $("result-screen");
  private readonly matchingTitle = $("matching-title");
  private readonly elapsed = $("elapsed");
  private readonly matchingNote = $("matching-note");
  private readonly countdown = $("countdown");
  private readonly timer = $("timer");
  private readonly status = $("status");
  private readonly winner = $("winner");
  private readonly times = $("times");
  private readonly controls = $("controls");
  private readonly hopButtons = [$<HTMLButtonElement>("hop-0"), $<HTMLButtonElement>("hop-1")];
  private frameTimes: number[] = [];
  private statusText = "";

  constructor(private readonly app: App) {
    this.scene = new Scene(this.canvas);
    this.layout();
    window.addEventListener("resize", () => this.layout());
    new ResizeObserver(() => this.layout()).observe(this.canvas);
    app.onChange(() => this.screenChanged());
    this.bindInput();
    this.screenChanged();
  }

  /** The current status line, as shown in #status. */
  get statusLine(): string {
    return this.statusText;
  }

  /** Frames drawn per second over the last second or so. */
  fps(): number {
    const f = this.frameTimes;
    if (f.length < 2) return 0;
    return Math.round(((f.length - 1) * 1000) / (f[f.length - 1] - f[0]));
  }

  private layout(): void {
    const g = this.scene.resize();
    const s = this.root.style;
    s.setProperty("--track-left", `${g.left}px`);
    s.setProperty("--lane-w", `${g.laneW}px`);
    s.setProperty("--track-bottom", `${g.bottom}px`);
  }

  private bindInput(): void {
    $("online").addEventListener("click", () => void this.app.start("online"));
    $("living-room").addEventListener("click", () => void this.app.start("living-room"));
    $("race-again").addEventListener("click", () => this.app.again());
    $("back").addEventListener("click", () => this.app.toTitle());
    $("cancel").addEventListener("click", () => this.app.toTitle());

    // Keyboard: Space for the left frog, Right Shift for the right one (living-room); online, either
    // key (or Arrow Up) hops this player's frog. Held keys repeat: only fresh presses count.
    window.addEventListener(
      "keydown",
      (e) => {
        if (this.app.screen !== "race") return;
        const lane = this.keyLane(e.code);
        if (lane === null) return;
        e.preventDefault();
        if (!e.repeat) this.press(lane);
      },
      true,
    );
    // Space activates a focused button on key up: keep a hop from also clicking a Hop button.
    window.addEventListener(
      "keyup",
      (e) => {
        if (this.app.screen === "race" && this.keyLane(e.code) !== null) e.preventDefault();
      },
      true,
    );

    this.hopButtons.forEach((b, lane) => {
      b.addEventListener("pointerdown", (e) => {
        e.preventDefault();
        this.press(lane);
      });
      // Enter on a focused button clicks it with detail 0; pointer clicks were handled on pointerdown.
      b.addEventListener("click", (e) => {
        if (e.detail === 0) this.press(lane);
      });
    });
    // Touching a lane of the pond hops its frog too.
    this.canvas.addEventListener("pointerdown", (e) => {
      if (this.app.screen !== "race") return;
      const rect = this.canvas.getBoundingClientRect();
      const lane = e.clientX - rect.left < rect.width / 2 ? 0 : 1;
      const mine = this.app.myLanes;
      this.press(mine.length === 1 ? mine[0] : lane);
    });
  }

  private keyLane(code: string): number | null {
    const mine = this.app.myLanes;
    if (this.app.mode === "living-room") {
      if (code === "Space") return 0;
      if (code === "ShiftRight") return 1;
      return null;
    }
    if (code === "Space" || code === "ShiftRight" || code === "ArrowUp") return mine.length > 0 ? mine[0] : null;
    return null;
  }

  private press(lane: number): void {
    this.app.hop(lane);
  }

  private screenChanged(): void {
    const s = this.app.screen;
    this.root.dataset.screen = s;
    show(this.titleScreen, s === "title");
    show(this.matchingScreen, s === "matching");
    show(this.resultScreen, s === "result");
    show(this.controls, s === "race");
    if (s === "result") {
      const r = this.resultText();
      setText(this.winner, r.title);
      setText(this.times, r.detail);
    }
  }

  /** Draws one frame and updates the HUD; called on every animation frame. */
  frame(): void {
    const app = this.app;
    const now = localNow();
    this.frameTimes.push(now);
    while (this.frameTimes.length > 2 && now - this.frameTimes[0] > 1000) this.frameTimes.shift();

    const t = app.clock.now();
    const phase = app.phaseNow();
    const mine = [0, 1].map((l) => app.myLanes.includes(l));
    this.scene.draw({
      t,
      local: now,
      model: app.model,
      phase,
      labels: this.laneLabels(mine),
      mine,
      empty: [0, 1].map((l) => this.laneEmpty(l, mine)),
      badges: [0, 1].map((l) => this.badge(l, t, now, mine)),
    });
    app.frameDrawn();

    // Countdown and race clock.
    let count = "";
    if (app.screen === "race" && phase === "countdown") {
      count = String(Math.max(1, Math.ceil((app.model.startAtMs - t) / 1000)));
    } else if (app.screen === "race" && phase === "racing" && t - app.model.startAtMs < 800) {
      count = "Go!";
    }
    setText(this.countdown, count);
    show(this.countdown, count !== "");
    let clock = "";
    if (phase === "racing" && app.screen === "race") clock = seconds(t - app.model.startAtMs);
    if (phase === "finished" && app.model.result) {
      const best = app.model.result.finishTimesMs.filter((x) => x > 0);
      if (best.length) clock = seconds(Math.min(...best));
    }
    setText(this.timer, clock);

    if (app.screen === "matching") {
      const online = app.mode === "online";
      setText(this.matchingTitle, online ? "Finding an opponent…" : "Setting up the pond…");
      setText(this.elapsed, clockText(now - app.matchingSince));
      setText(this.matchingNote, app.retryUntil > now ? this.retryLine(now) : "");
    }
    if (app.screen === "result") {
      const r = this.resultText();
      setText(this.winner, r.title);
      setText(this.times, r.detail);
    }
    if (app.screen === "race") this.updateButtons(phase, mine, now);

    const line = this.statusFor(t, now, phase, mine);
    if (line !== this.statusText) {
      this.statusText = line;
      setText(this.status, line);
    }
  }

  private updateButtons(phase: string, mine: boolean[], now: number): void {
    const app = this.app;
    const online = app.mode === "online";
    this.hopButtons.forEach((b, lane) => {
      const visible = online ? mine[lane] : true;
      b.classList.toggle("gone", !visible);
      const frog = app.model.frogs[lane];
      const enabled = visible && mine[lane] && phase === "racing" && !frog?.finishedAtMs;
      if (b.disabled === enabled) b.disabled = !enabled;
      b.classList.toggle("pressed", now - app.pressedAt[lane] < 150);
      const label = online ? "Hop your frog" : `Hop the ${laneNames[lane].toLowerCase()} frog`;
      if (b.getAttribute("aria-label") !== label) b.setAttribute("aria-label", label);
    });
  }

  private laneLabels(mine: boolean[]): string[] {
    const app = this.app;
    return [0, 1].map((l) => {
      if (app.mode === "living-room") return `${laneNames[l]} · ${laneKeys[l]}`;
      if (app.mode === "online" && app.screen !== "title") {
        if (mine[l]) return "You · Space";
        if (app.myLanes.length > 0) return app.opponentSeen ? "Opponent" : "Waiting for an opponent";
      }
      return `${laneNames[l]} frog`;
    });
  }

  private laneEmpty(lane: number, mine: boolean[]): boolean {
    const app = this.app;
    return app.mode === "online" && app.screen === "matching" && !mine[lane] && !app.opponentSeen;
  }

  private badge(lane: number, t: number, now: number, mine: boolean[]): string {
    const app = this.app;
    if (app.screen !== "race" && app.screen !== "result") return "";
    const rec = app.reconnecting;
    if (mine[lane] && rec && rec.lane === lane) return `reconnecting ${Math.max(0, Math.ceil((rec.graceEndsAt - now) / 1000))} s`;
    const info = app.model.laneInfo[lane];
    if (info?.status === "reconnecting") {
      const left = info.graceEndsMs > 0 ? ` ${Math.max(0, Math.ceil((info.graceEndsMs - t) / 1000))} s` : "";
      return `reconnecting${left}`;
    }
    if (info?.status === "forfeited") return "left the race";
    return "";
  }

  private retryLine(now: number): string {
    return `${this.app.retryWhy}. Retrying in ${Math.max(1, Math.ceil((this.app.retryUntil - now) / 1000))} s.`;
  }

  private statusFor(t: number, now: number, phase: string, mine: boolean[]): string {
    const app = this.app;
    // Mid-race trouble (reconnecting within the grace) outranks a retry
    // countdown: the grace is what decides the race.
    if (app.screen === "race") {
      const trouble = this.raceTrouble(t, now, mine);
      if (trouble) return trouble;
    }
    if (app.retryUntil > now) return this.retryLine(now);
    const notice = app.currentNotice;
    if (notice) return notice;
    switch (app.screen) {
      case "title":
        return "Choose a race.";
      case "matching":
        if (!app.match) return app.mode === "online" ? "Asking for a race…" : "Asking for a pond with two seats…";
        if (app.connecting) return "Connecting to the race server…";
        return app.mode === "online" ? "Waiting for an opponent to join…" : "Getting both frogs ready…";
      case "race": {
        const penalty = app.model.rules.hopPenaltyMs;
        if (phase === "countdown") return "Get ready…";
        if (app.mode === "living-room") {
          return `Left frog: Space. Right frog: Right Shift. Pressing mid-hop costs +${penalty} ms.`;
        }
        return `Hop with Space or the Hop button. Pressing mid-hop annoys your frog: +${penalty} ms.`;
      }
      case "result":
        return app.ending ? app.ending.title : "Race over. Race again, or go back to the title screen.";
    }
  }

  /** Connection trouble during a race, which outranks every other message; "" when all is well. */
  private raceTrouble(t: number, now: number, mine: boolean[]): string {
    const app = this.app;
    const rec = app.reconnecting;
    if (rec) return `Connection lost. Reconnecting… ${Math.max(0, Math.ceil((rec.graceEndsAt - now) / 1000))} s left.`;
    for (let l = 0; l < 2; l++) {
      const info = app.model.laneInfo[l];
      if (mine[l] || !info) continue;
      if (info.status === "reconnecting") {
        const left = info.graceEndsMs > 0 ? Math.max(0, Math.ceil((info.graceEndsMs - t) / 1000)) : 0;
        const who = app.mode === "online" ? "Your opponent" : `The ${laneNames[l].toLowerCase()} frog`;
        return `${who} lost the connection. Waiting${left ? ` up to ${left} s` : ""}…`;
      }
      if (info.status === "forfeited") return app.mode === "online" ? "Your opponent left the race." : "A player left the race.";
    }
    return "";
  }

  /** The winner banner: a title (#winner) and the times or reason (#times). */
  resultText(): { title: string; detail: string } {
    const app = this.app;
    if (app.ending) return app.ending;
    const r = app.model.result;
    if (!r) return { title: "Race over", detail: "" };
    const online = app.mode === "online";
    const mine = app.myLanes;
    const name = (lane: number) => (online ? (mine.includes(lane) ? "You" : "Opponent") : `${laneNames[lane]} frog`);
    if (r.reason === "idle") {
      return { title: "Race ended", detail: "Nobody hopped for a while, so the race was called off." };
    }
    if (r.reason === "abandoned") {
      return {
        title: "Race abandoned",
        detail: app.raced ? "Nobody finished the race." : "No opponent turned up.",
      };
    }
    const title = online ? (mine.includes(r.winnerLane) ? "You win!" : "You lose") : `${name(r.winnerLane)} wins!`;
    const order = online && mine.length === 1 ? [mine[0], 1 - mine[0]] : [0, 1];
    const times = order
      .map((l) => `${name(l)}: ${r.finishTimesMs[l] ? seconds(r.finishTimesMs[l]) : "did not finish"}`)
      .join(" · ");
    let detail = times + (r.tieBreak ? " (photo finish)" : "");
    if (r.reason === "forfeit") {
      const quitter = online ? "Your opponent" : `The ${laneNames[1 - r.winnerLane].toLowerCase()} frog's player`;
      const who = mine.includes(r.winnerLane) || !online ? quitter : "You";
      detail = `${who} left the race.` + (r.finishTimesMs.some((x) => x > 0) ? ` ${times}` : "");
    }
    return { title, detail };
  }
}
