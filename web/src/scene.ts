// Draws the pond, the two lanes and the frogs on a canvas. All art here is drawn with paths.

import type { Phase, RaceModel } from "./race";

/** Everything the scene needs for one frame. */
export interface SceneView {
  /** Server time of this frame, Unix ms. */
  t: number;
  /** Local time of this frame (for idle animation), ms. */
  local: number;
  model: RaceModel;
  phase: Phase;
  /** Per lane: the text under the frog ("You", "Left · Space"...). */
  labels: string[];
  /** Per lane: this page drives the frog. */
  mine: boolean[];
  /** Per lane: nobody has taken this frog yet. */
  empty: boolean[];
  /** Per lane: a short badge over the frog ("reconnecting 7 s"), or "". */
  badges: string[];
}

interface Palette {
  body: string;
  dark: string;
  belly: string;
}

const palettes: Palette[] = [
  { body: "#43b649", dark: "#1c5e24", belly: "#b7e59a" },
  { body: "#f29a2e", dark: "#8a4a0c", belly: "#ffd79a" },
];
const angry = "#e2443a";

interface Layout {
  w: number;
  h: number;
  laneW: number;
  left: number;
  top: number;
  bottom: number;
  yStart: number;
  yFinish: number;
  r: number;
}

export class Scene {
  private readonly ctx: CanvasRenderingContext2D;
  private layout: Layout = { w: 0, h: 0, laneW: 0, left: 0, top: 0, bottom: 0, yStart: 0, yFinish: 0, r: 1 };
  private dpr = 1;

  constructor(private readonly canvas: HTMLCanvasElement) {
    const ctx = canvas.getContext("2d", { alpha: false });
    if (!ctx) throw new Error("canvas 2d is not available");
    this.ctx = ctx;
  }

  /** Matches the canvas to its CSS size and the device pixel ratio. Returns the lane geometry. */
  resize(): { laneW: number; left: number; bottom: number } {
    const rect = this.canvas.getBoundingClientRect();
    const dpr = Math.min(window.devicePixelRatio || 1, 3);
    const w = Math.max(1, Math.round(rect.width));
    const h = Math.max(1, Math.round(rect.height));
    if (this.canvas.width !== Math.round(w * dpr) || this.canvas.height !== Math.round(h * dpr)) {
      this.canvas.width = Math.round(w * dpr);
      this.canvas.height = Math.round(h * dpr);
    }
    this.dpr = dpr;
    // Room above for the race clock; below for the lane labels, the hop buttons and the status line.
    const top = Math.max(64, h * 0.11);
    const bottom = h - Math.max(150, h * 0.2);
    const trackW = Math.min(w - 24, Math.max(280, (bottom - top) * 1.25), 760);
    const laneW = trackW / 2;
    const r = Math.max(10, Math.min(laneW * 0.19, (bottom - top) * 0.065));
    this.layout = {
      w,
      h,
      laneW,
      left: (w - trackW) / 2,
      top,
      bottom,
      yStart: bottom - r * 1.25,
      yFinish: top + r * 1.25,
      r,
    };
    return { laneW, left: this.layout.left, bottom };
  }

  private y(pos: number, finish: number): number {
    const L = this.layout;
    return L.yStart - (Math.min(pos, finish) / finish) * (L.yStart - L.yFinish);
  }

  private laneX(lane: number): number {
    return this.layout.left + this.layout.laneW * (lane + 0.5);
  }

  draw(v: SceneView): void {
    const ctx = this.ctx;
    const L = this.layout;
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    this.drawPond(v);
    const finish = v.model.rules.finishLine;
    for (let lane = 0; lane < 2; lane++) this.drawLane(v, lane, finish);
    ctx.globalAlpha = 1;
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    ctx.font = `600 ${Math.round(Math.max(13, L.r * 0.42))}px system-ui, sans-serif`;
    for (let lane = 0; lane < 2; lane++) {
      const x = this.laneX(lane);
      ctx.fillStyle = v.mine[lane] ? "#ffe45c" : "#f4f7f2";
      ctx.fillText(v.labels[lane] ?? "", x, L.bottom + 6);
    }
  }

  private drawPond(v: SceneView): void {
    const ctx = this.ctx;
    const L = this.layout;
    const finish = v.model.rules.finishLine;
    ctx.fillStyle = "#12301f";
    ctx.fillRect(0, 0, L.w, L.h);
    // Banks: the far bank with the finish, the near bank with the start.
    const trackW = L.laneW * 2;
    ctx.fillStyle = "#2f6b34";
    roundRect(ctx, L.left - 10, L.top - 10, trackW + 20, L.bottom - L.top + 20, 16);
    ctx.fill();
    const waterTop = L.yFinish + L.r * 0.75;
    const waterBottom = L.yStart - L.r * 0.9;
    const water = ctx.createLinearGradient(0, waterTop, 0, waterBottom);
    water.addColorStop(0, "#1b5d78");
    water.addColorStop(1, "#237a8f");
    ctx.fillStyle = water;
    ctx.fillRect(L.left, waterTop, trackW, waterBottom - waterTop);
    // Slow ripples on the water.
    ctx.strokeStyle = "rgba(255,255,255,0.10)";
    ctx.lineWidth = 2;
    const step = Math.max(28, L.r * 1.1);
    for (let yy = waterTop + step / 2; yy < waterBottom - 6; yy += step) {
      for (let lane = 0; lane < 2; lane++) {
        const phase = (v.local / 1800 + yy * 0.05 + lane) % (Math.PI * 2);
        const x0 = L.left + L.laneW * lane + L.laneW * (0.2 + 0.1 * Math.sin(phase));
        ctx.beginPath();
        ctx.moveTo(x0, yy);
        ctx.quadraticCurveTo(x0 + L.laneW * 0.08, yy - 4, x0 + L.laneW * 0.16, yy);
        ctx.stroke();
      }
    }
    // Reeds between the lanes.
    ctx.fillStyle = "#3f7f3a";
    const mid = L.left + L.laneW;
    ctx.fillRect(mid - 3, waterTop, 6, waterBottom - waterTop);
    for (let yy = waterTop + 10; yy < waterBottom; yy += 22) {
      ctx.beginPath();
      ctx.ellipse(mid, yy, 5, 10, 0, 0, Math.PI * 2);
      ctx.fill();
    }
    // Lily pads where hops land.
    const hop = v.model.rules.hopDistance;
    for (let lane = 0; lane < 2; lane++) {
      const x = this.laneX(lane);
      for (let k = 1; k * hop < finish - 1e-6; k++) {
        drawPad(ctx, x, this.y(k * hop, finish), L.r * 1.2, k + lane);
      }
    }
    // The finish line: a chequered band across both lanes.
    const sq = Math.max(6, L.r * 0.28);
    const n = Math.ceil(trackW / sq);
    for (let row = 0; row < 2; row++) {
      for (let i = 0; i < n; i++) {
        ctx.fillStyle = (i + row) % 2 === 0 ? "#f8f8f2" : "#1a1a1a";
        ctx.fillRect(L.left + i * sq, waterTop - sq * (2 - row), Math.min(sq, L.left + trackW - (L.left + i * sq)), sq);
      }
    }
    ctx.fillStyle = "#f4f7f2";
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    ctx.font = `700 ${Math.round(Math.max(12, L.r * 0.36))}px system-ui, sans-serif`;
    ctx.fillText("FINISH", L.left + trackW / 2, waterTop - sq * 2 - 4);
    // The start line.
    ctx.strokeStyle = "rgba(244,247,242,0.85)";
    ctx.lineWidth = 3;
    ctx.setLineDash([10, 8]);
    ctx.beginPath();
    ctx.moveTo(L.left + 6, waterBottom + 2);
    ctx.lineTo(L.left + trackW - 6, waterBottom + 2);
    ctx.stroke();
    ctx.setLineDash([]);
  }

  private drawLane(v: SceneView, lane: number, finish: number): void {
    const ctx = this.ctx;
    const L = this.layout;
    const f = v.model.frogs[lane];
    if (!f) return;
    const x = this.laneX(lane);
    const pos = v.model.position(lane, v.t);
    const y = this.y(pos, finish);
    const p = f.hopping ? v.model.hopProgress(lane, v.t) : 1;
    const lift = f.hopping && p > 0 && p < 1 ? Math.sin(Math.PI * p) : 0;

    // Rings on the water when a frog takes off and lands.
    if (f.hops > 0) {
      this.ripple(x, this.y(f.from, finish), v.t - f.hopStartMs, 500);
      if (!f.hopping || v.t >= f.hopEndMs) this.ripple(x, this.y(f.to, finish), v.t - f.hopEndMs, 700);
    }

    const sinceAnger = v.t - f.lastPenaltyMs;
    const anger = f.lastPenaltyMs > 0 && sinceAnger >= 0 && sinceAnger < 900 ? 1 - sinceAnger / 900 : 0;
    const grumpy = f.hopping && f.penaltyMs > 0 && p < 1;
    const away = !f.connected || v.empty[lane];
    const shake = anger > 0 ? Math.sin(v.local / 22) * L.r * 0.08 * anger : 0;
    const breathe = v.phase === "none" || v.phase === "waiting" ? Math.sin(v.local / 600 + lane * 2) * 0.02 : 0;
    const won = v.phase === "finished" && v.model.result?.winnerLane === lane && v.model.result.reason !== "abandoned";

    drawFrog(ctx, x + shake, y, L.r * (1 + breathe), palettes[lane], {
      lift,
      anger: Math.max(anger, grumpy ? 0.35 : 0),
      brows: grumpy || anger > 0,
      alpha: away ? 0.45 : 1,
      blink: !f.hopping && Math.floor(v.local / 170 + lane * 13) % 29 === 0,
    });
    if (won) drawCrown(ctx, x, y - L.r * (1.45 + 0.25 * lift), L.r * 0.55);

    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    if (grumpy) {
      // The hop's accumulated penalty rides along with the frog.
      const text = `+${(f.penaltyMs / 1000).toFixed(1)} s`;
      badge(ctx, x + L.r * 1.5, y - L.r * 0.2, text, "#fff1f0", angry, L.r * 0.38);
    }
    if (anger > 0) {
      // A cross little speech bubble, rising and fading.
      ctx.globalAlpha = Math.min(1, anger * 1.5);
      const by = y - L.r * (0.9 + 0.5 * (1 - anger));
      badge(ctx, x - L.r * 1.55, by, "grr!", angry, "#fff7f5", L.r * 0.42);
      drawAngerMark(ctx, x - L.r * 0.55, by - L.r * 0.55, L.r * 0.28, Math.min(1, anger * 1.5));
      ctx.globalAlpha = 1;
    }
    if (v.badges[lane]) badge(ctx, x, y - L.r * 1.55, v.badges[lane], "#1a1a1a", "#ffe45c", L.r * 0.36);
    if (v.mine[lane] && !v.badges[lane]) {
      // A marker over the frog this page drives.
      ctx.fillStyle = "#ffe45c";
      const my = y - L.r * (1.35 + 0.25 * lift) - (won ? L.r * 0.7 : 0);
      ctx.beginPath();
      ctx.moveTo(x - L.r * 0.2, my - L.r * 0.25);
      ctx.lineTo(x + L.r * 0.2, my - L.r * 0.25);
      ctx.lineTo(x, my);
      ctx.closePath();
      ctx.fill();
    }
  }

  private ripple(x: number, y: number, age: number, life: number): void {
    if (age < 0 || age > life) return;
    const ctx = this.ctx;
    const k = age / life;
    ctx.strokeStyle = `rgba(220,245,255,${(0.6 * (1 - k)).toFixed(3)})`;
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.ellipse(x, y, this.layout.r * (0.9 + 1.1 * k), this.layout.r * (0.5 + 0.6 * k), 0, 0, Math.PI * 2);
    ctx.stroke();
  }
}

interface FrogLook {
  /** 0 on the ground, 1 at the top of a hop. */
  lift: number;
  /** 0 calm, 1 furious. */
  anger: number;
  brows: boolean;
  alpha: number;
  blink: boolean;
}

/** A frog seen from above, facing the finish. */
function drawFrog(ctx: CanvasRenderingContext2D, x: number, y: number, r: number, pal: Palette, o: FrogLook): void {
  ctx.save();
  ctx.globalAlpha = o.alpha * 0.35 * (1 - 0.4 * o.lift);
  ctx.fillStyle = "#000";
  ctx.beginPath();
  ctx.ellipse(x, y + r * 0.2 + o.lift * r * 0.55, r * 0.8 * (1 - 0.25 * o.lift), r * 0.55 * (1 - 0.25 * o.lift), 0, 0, Math.PI * 2);
  ctx.fill();

  ctx.globalAlpha = o.alpha;
  ctx.translate(x, y - o.lift * r * 0.4);
  const s = 1 + 0.22 * o.lift;
  ctx.scale(s, s);
  const body = mix(pal.body, angry, o.anger * 0.6);
  ctx.lineWidth = r * 0.06;
  ctx.strokeStyle = pal.dark;
  ctx.fillStyle = body;

  // Back legs: folded at rest, stretched out behind in the air.
  for (const side of [-1, 1]) {
    ctx.beginPath();
    if (o.lift > 0.05) {
      const reach = 0.5 + 0.45 * o.lift;
      ctx.ellipse(side * r * 0.42, r * (0.55 + reach * 0.6), r * 0.16, r * reach * 0.7, side * -0.25, 0, Math.PI * 2);
      ctx.fill();
      ctx.stroke();
      ctx.beginPath();
      ctx.ellipse(side * r * 0.5, r * (0.6 + reach * 1.2), r * 0.22, r * 0.14, 0, 0, Math.PI * 2);
    } else {
      ctx.ellipse(side * r * 0.6, r * 0.38, r * 0.3, r * 0.52, side * -0.45, 0, Math.PI * 2);
    }
    ctx.fill();
    ctx.stroke();
    // Front legs.
    ctx.beginPath();
    ctx.ellipse(side * r * 0.62, -r * (0.3 + 0.2 * o.lift), r * 0.13, r * 0.3, side * 0.6, 0, Math.PI * 2);
    ctx.fill();
    ctx.stroke();
  }
  // Body and head.
  ctx.beginPath();
  ctx.ellipse(0, r * 0.05, r * 0.72, r * 0.85, 0, 0, Math.PI * 2);
  ctx.fill();
  ctx.stroke();
  ctx.beginPath();
  ctx.ellipse(0, -r * 0.55, r * 0.6, r * 0.42, 0, 0, Math.PI * 2);
  ctx.fill();
  ctx.stroke();
  // Paint over the outlines where head and body overlap, so they read as one animal.
  ctx.beginPath();
  ctx.ellipse(0, -r * 0.5, r * 0.58, r * 0.39, 0, 0, Math.PI * 2);
  ctx.fill();
  ctx.beginPath();
  ctx.ellipse(0, r * 0.05, r * 0.69, r * 0.82, 0, 0, Math.PI * 2);
  ctx.fill();
  // Spots on the back.
  ctx.fillStyle = pal.dark;
  ctx.globalAlpha = o.alpha * 0.35;
  for (const [sx, sy, sr] of [
    [-0.25, 0.2, 0.13],
    [0.28, 0.05, 0.1],
    [0.05, 0.48, 0.11],
  ]) {
    ctx.beginPath();
    ctx.arc(sx * r, sy * r, sr * r, 0, Math.PI * 2);
    ctx.fill();
  }
  ctx.globalAlpha = o.alpha;
  // A pale stripe down the back.
  ctx.fillStyle = pal.belly;
  ctx.beginPath();
  ctx.ellipse(0, -r * 0.05, r * 0.08, r * 0.35, 0, 0, Math.PI * 2);
  ctx.fill();
  // Eyes on their bumps.
  for (const side of [-1, 1]) {
    const ex = side * r * 0.36;
    const ey = -r * 0.78;
    ctx.fillStyle = body;
    ctx.beginPath();
    ctx.arc(ex, ey, r * 0.23, 0, Math.PI * 2);
    ctx.fill();
    ctx.stroke();
    ctx.fillStyle = "#fffbe6";
    ctx.beginPath();
    ctx.arc(ex, ey, r * 0.16, 0, Math.PI * 2);
    ctx.fill();
    ctx.fillStyle = "#111";
    ctx.beginPath();
    ctx.arc(ex + side * r * 0.02, ey - r * 0.04, r * 0.085, 0, Math.PI * 2);
    ctx.fill();
    if (o.blink || o.brows) {
      // Lids: closed for a blink, half shut when annoyed.
      ctx.fillStyle = mix(body, "#000000", 0.15);
      ctx.beginPath();
      if (o.blink) ctx.arc(ex, ey, r * 0.17, 0, Math.PI * 2);
      else ctx.arc(ex, ey, r * 0.17, Math.PI, Math.PI * 2);
      ctx.fill();
    }
    if (o.brows) {
      ctx.strokeStyle = "#2a0d0a";
      ctx.lineWidth = r * 0.08;
      ctx.lineCap = "round";
      ctx.beginPath();
      ctx.moveTo(ex + side * r * 0.2, ey - r * 0.3);
      ctx.lineTo(ex - side * r * 0.16, ey - r * 0.14);
      ctx.stroke();
      ctx.strokeStyle = pal.dark;
      ctx.lineWidth = r * 0.06;
    }
  }
  ctx.restore();
}

/** The four-stroke mark of a cross cartoon character. */
function drawAngerMark(ctx: CanvasRenderingContext2D, x: number, y: number, size: number, alpha: number): void {
  ctx.save();
  ctx.globalAlpha = alpha;
  ctx.strokeStyle = angry;
  ctx.lineWidth = Math.max(2, size * 0.25);
  ctx.lineCap = "round";
  for (let i = 0; i < 4; i++) {
    const a = (i * Math.PI) / 2 + Math.PI / 4;
    const cx = x + Math.cos(a) * size * 0.6;
    const cy = y + Math.sin(a) * size * 0.6;
    ctx.beginPath();
    ctx.arc(cx, cy, size * 0.45, a + Math.PI * 0.6, a + Math.PI * 1.4);
    ctx.stroke();
  }
  ctx.restore();
}

function drawCrown(ctx: CanvasRenderingContext2D, x: number, y: number, s: number): void {
  ctx.fillStyle = "#ffd23f";
  ctx.strokeStyle = "#7a5a00";
  ctx.lineWidth = Math.max(1.5, s * 0.08);
  ctx.beginPath();
  ctx.moveTo(x - s, y + s * 0.5);
  ctx.lineTo(x - s, y - s * 0.3);
  ctx.lineTo(x - s * 0.5, y + s * 0.1);
  ctx.lineTo(x, y - s * 0.55);
  ctx.lineTo(x + s * 0.5, y + s * 0.1);
  ctx.lineTo(x + s, y - s * 0.3);
  ctx.lineTo(x + s, y + s * 0.5);
  ctx.closePath();
  ctx.fill();
  ctx.stroke();
}

function drawPad(ctx: CanvasRenderingContext2D, x: number, y: number, r: number, seed: number): void {
  const notch = 0.5 + (seed % 3) * 0.9;
  ctx.fillStyle = "#5e9e3c";
  ctx.strokeStyle = "#2f5e22";
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.ellipse(x, y, r, r * 0.62, 0, notch + 0.35, notch + Math.PI * 2 - 0.05);
  ctx.lineTo(x, y);
  ctx.closePath();
  ctx.fill();
  ctx.stroke();
  ctx.strokeStyle = "rgba(20,60,15,0.35)";
  ctx.beginPath();
  for (let i = 1; i < 5; i++) {
    const a = notch + 0.35 + (i * (Math.PI * 2 - 0.4)) / 5;
    ctx.moveTo(x, y);
    ctx.lineTo(x + Math.cos(a) * r * 0.8, y + Math.sin(a) * r * 0.5);
  }
  ctx.stroke();
}

function badge(ctx: CanvasRenderingContext2D, x: number, y: number, text: string, fg: string, bg: string, size: number): void {
  ctx.font = `700 ${Math.round(Math.max(12, size))}px system-ui, sans-serif`;
  const w = ctx.measureText(text).width + size * 1.2;
  const h = size * 1.7;
  ctx.fillStyle = bg;
  roundRect(ctx, x - w / 2, y - h / 2, w, h, h / 2);
  ctx.fill();
  ctx.fillStyle = fg;
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  ctx.fillText(text, x, y + 1);
}

function roundRect(ctx: CanvasRenderingContext2D, x: number, y: number, w: number, h: number, r: number): void {
  const rr = Math.min(r, w / 2, h / 2);
  ctx.beginPath();
  ctx.moveTo(x + rr, y);
  ctx.arcTo(x + w, y, x + w, y + h, rr);
  ctx.arcTo(x + w, y + h, x, y + h, rr);
  ctx.arcTo(x, y + h, x, y, rr);
  ctx.arcTo(x, y, x + w, y, rr);
  ctx.closePath();
}

/** Mixes two #rrggbb colours; k = 0 gives a, 1 gives b. */
function mix(a: string, b: string, k: number): string {
  if (k <= 0) return a;
  const pa = parseInt(a.slice(1), 16);
  const pb = parseInt(b.slice(1), 16);
  let out = "#";
  for (const shift of [16, 8, 0]) {
    const ca = (pa >> shift) & 255;
    const cb = (pb >> shift) & 255;
    out += Math.round(ca + (cb - ca) * Math.min(1, k))
      .toString(16)
      .padStart(2, "0");
  }
  return out;
}
