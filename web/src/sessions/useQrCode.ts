import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError } from "../api/client";
import { sessionsApi } from "../api/endpoints";
import { useLiveEvents } from "../events/EventsProvider";
import { eventSessionId } from "../events/sessionEvents";

/** WAHA rotates the QR about once a minute (QrRawPublic); the countdown shows when it will change. */
export const QR_LIFETIME_SECONDS = 60;
/** While WAHA is still starting (409 "not waiting for a QR"), ask again this often. */
const NOT_READY_RETRY_MS = 2000;

export interface QrState {
  url: string | null;
  secondsLeft: number;
  error: string | null;
  loading: boolean;
}

/**
 * The session's current QR as an object URL: fetched with the bearer token, re-fetched when a live
 * `qr` event says WAHA rotated it, and when the countdown runs out (a rotation whose event was lost).
 */
export function useQrCode(sessionId: string, active: boolean): QrState {
  const [url, setUrl] = useState<string | null>(null);
  const [fetchedAt, setFetchedAt] = useState(0);
  const [now, setNow] = useState(() => Date.now());
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const retry = useRef<number | undefined>(undefined);
  /** False once the QR is no longer wanted: a request still in flight then schedules no retry. */
  const wanted = useRef(false);

  const load = useCallback(async () => {
    window.clearTimeout(retry.current);
    setLoading(true);
    try {
      const blob = await sessionsApi.qrImage(sessionId);
      setUrl((old) => {
        if (old) URL.revokeObjectURL(old);
        return URL.createObjectURL(blob);
      });
      const at = Date.now();
      setFetchedAt(at);
      setNow(at);
      setError(null);
    } catch (failure) {
      const notReady = failure instanceof ApiError && failure.status === 409;
      setError(notReady ? null : failure instanceof Error ? failure.message : "Could not load the QR code.");
      if (wanted.current) retry.current = window.setTimeout(() => void load(), NOT_READY_RETRY_MS);
    } finally {
      setLoading(false);
    }
  }, [sessionId]);

  useEffect(() => {
    if (!active) return;
    wanted.current = true;
    void load();
    return () => {
      wanted.current = false;
      window.clearTimeout(retry.current);
    };
  }, [active, load]);

  useEffect(() => () => setUrl((old) => (old && URL.revokeObjectURL(old), null)), []);

  useLiveEvents(["qr"], (event) => {
    if (active && eventSessionId(event) === sessionId) void load();
  });

  const secondsLeft = fetchedAt ? Math.max(0, QR_LIFETIME_SECONDS - Math.floor((now - fetchedAt) / 1000)) : QR_LIFETIME_SECONDS;
  useEffect(() => {
    if (!active || !fetchedAt) return;
    const tick = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(tick);
  }, [active, fetchedAt]);
  useEffect(() => {
    if (active && fetchedAt && secondsLeft === 0 && !loading) void load();
  }, [active, fetchedAt, secondsLeft, loading, load]);

  return { url: active ? url : null, secondsLeft, error, loading };
}
