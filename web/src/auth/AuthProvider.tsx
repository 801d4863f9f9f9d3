import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { ApiError } from "../api/client";
import { authApi } from "../api/endpoints";
import { fromTokenPublic, onAuthChange, readAuth, writeAuth, type StoredAuth } from "../api/tokens";
import type { AuthConfigPublic, UserPublic } from "../api/types";

export type SignUpResult = "signed_in" | "confirm_email";

interface AuthContextValue {
  user: UserPublic | null;
  /** False until the stored session was checked against the API (avoids a flash of the login page). */
  ready: boolean;
  config: AuthConfigPublic | null;
  login: (email: string, password: string) => Promise<void>;
  register: (email: string, password: string) => Promise<SignUpResult>;
  logout: () => Promise<void>;
}

const AuthContext = createContext<AuthContextValue | null>(null);

/** Accounts through the API's /api/auth routes, identical in built-in and Supabase mode. */
export function AuthProvider({ children }: { children: ReactNode }) {
  const [auth, setAuth] = useState<StoredAuth | null>(readAuth);
  const [ready, setReady] = useState(false);
  const [config, setConfig] = useState<AuthConfigPublic | null>(null);

  useEffect(() => onAuthChange(setAuth), []);

  useEffect(() => {
    authApi.config().then(setConfig, () => setConfig(null));
    if (!readAuth()) {
      setReady(true);
      return;
    }
    // A stored session is checked once (and refreshed if its access token expired meanwhile).
    authApi
      .me()
      .catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 401) writeAuth(null);
      })
      .finally(() => setReady(true));
  }, []);

  const login = useCallback(async (email: string, password: string) => {
    writeAuth(fromTokenPublic(await authApi.login(email, password)));
  }, []);

  const register = useCallback(async (email: string, password: string): Promise<SignUpResult> => {
    const token = await authApi.register(email, password);
    const stored = fromTokenPublic(token);
    writeAuth(stored);
    return stored ? "signed_in" : "confirm_email";
  }, []);

  const logout = useCallback(async () => {
    const current = readAuth();
    try {
      if (current) await authApi.logout(current.refreshToken);
    } catch {
      // Signing out locally must work even when the server cannot be reached.
    } finally {
      writeAuth(null);
    }
  }, []);

  const value = useMemo(
    () => ({ user: auth?.user ?? null, ready, config, login, register, logout }),
    [auth, ready, config, login, register, logout],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthContextValue {
  const context = useContext(AuthContext);
  if (!context) throw new Error("useAuth needs an <AuthProvider>");
  return context;
}
