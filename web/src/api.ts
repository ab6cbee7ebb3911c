// The allocator's HTTP API (docs/contracts.md): guest identities and matches.
//
// URLs are relative to the page, so the same bundle works behind `make run`, a kind cluster or an
// ingress that serves the allocator under a path prefix.

import type { ErrorAnswer, Guest, Match, Seat } from "./gen/leapfrog/contract";
import { GuestPath, MatchPath } from "./gen/leapfrog/contract";

// The API's bodies are declared once, in contract/matchapi, and generated here
// (paths are made relative to the page, see above).
export type { Guest, Match };
/** One player's place in a match. */
export type SeatGrant = Seat;

/** An error answer of the API, or a network failure (status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Seconds the server asked us to wait (Retry-After), or null. */
    readonly retryAfterS: number | null = null,
  ) {
    super(message);
    this.name = "ApiError";
  }

  /** True for answers that say "try again later": no capacity and rate limits. */
  get retryable(): boolean {
    return this.status === 503 || this.status === 429;
  }
}

async function post<T>(path: string, body: unknown, guestToken?: string): Promise<T> {
  const headers: Record<string, string> = { "Content-Type": "application/json", Accept: "application/json" };
  if (guestToken) headers.Authorization = `Bearer ${guestToken}`;
  let res: Response;
  try {
    res = await fetch(new URL(path, document.baseURI), {
      method: "POST",
      headers,
      body: JSON.stringify(body),
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, "network", "cannot reach the server");
  }
  let data: unknown = null;
  try {
    data = await res.json();
  } catch {
    // An empty or non-JSON body: the status code says enough.
  }
  if (res.ok) return data as T;
  const err = (data as Partial<ErrorAnswer> | null)?.error;
  throw new ApiError(
    res.status,
    err?.code ?? `http_${res.status}`,
    err?.message ?? res.statusText ?? `HTTP ${res.status}`,
    parseRetryAfter(res.headers.get("Retry-After")),
  );
}

/** Reads a Retry-After header: delta seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (value === null || value.trim() === "") return null;
  const s = Number(value);
  if (Number.isFinite(s)) return Math.max(0, Math.ceil(s));
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

/** POST /v1/guest. */
export function createGuest(): Promise<Guest> {
  return post<Guest>(GuestPath.slice(1), {});
}

/** POST /v1/match, with seats = 2 for two players on this device. */
export function requestMatch(guestToken: string, seats: 1 | 2): Promise<Match> {
  return post<Match>(MatchPath.slice(1), seats === 2 ? { seats: 2 } : {}, guestToken);
}

/** The player session tokens of a match, one per seat, seat 1 first. */
export function seatGrants(m: Match): SeatGrant[] {
  if (m.seats && m.seats.length > 0) return m.seats;
  return [{ player_id: m.player_id, player_session_token: m.player_session_token }];
}

const guestKey = "leapfrog.guest";
// A guest that expires sooner than this is replaced before it is used.
const guestMarginMs = 5 * 60_000;

/**
 * Returns this tab's guest identity, creating one if needed. It lives in sessionStorage, which is per
 * tab: two tabs are two players.
 */
export async function ensureGuest(): Promise<Guest> {
  const saved = loadGuest();
  if (saved) return saved;
  const g = await createGuest();
  try {
    sessionStorage.setItem(guestKey, JSON.stringify(g));
  } catch {
    // Storage may be disabled; the guest then lasts as long as the page.
    memoryGuest = g;
  }
  return g;
}

let memoryGuest: Guest | null = null;

function loadGuest(): Guest | null {
  let g: Guest | null = memoryGuest;
  try {
    const raw = sessionStorage.getItem(guestKey);
    if (raw) g = JSON.parse(raw) as Guest;
  } catch {
    // Unreadable or disabled storage: fall back to the in-memory guest.
  }
  if (!g || typeof g.guest_token !== "string" || g.guest_token === "") return null;
  const exp = Date.parse(g.expires_at);
  if (!Number.isNaN(exp) && exp - Date.now() < guestMarginMs) return null;
  return g;
}

/** Drops the saved guest, after the allocator said it is no longer valid. */
export function forgetGuest(): void {
  memoryGuest = null;
  try {
    sessionStorage.removeItem(guestKey);
  } catch {
    // Nothing saved.
  }
}
