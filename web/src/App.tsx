import { Spinner, Toast } from "@heroui/react";
import type { ReactNode } from "react";
import { RouterProvider } from "react-aria-components";
import { BrowserRouter, Navigate, Route, Routes, useHref, useLocation, useNavigate } from "react-router";
import { AuthProvider, useAuth } from "./auth/AuthProvider";
import { AuthPage } from "./pages/AuthPage";
import { AppShell } from "./components/AppShell";
import { EventsProvider } from "./events/EventsProvider";
import { ChatPage } from "./chat/ChatPage";
import { DemoBanner } from "./demo/DemoBanner";
import { DemoProvider } from "./demo/DemoProvider";
import { PairPage } from "./sessions/PairPage";
import { SessionsPage } from "./sessions/SessionsPage";

function Splash() {
  return (
    <div className="grid h-full place-items-center" role="status" aria-label="Loading">
      <Spinner size="lg" />
    </div>
  );
}

/** Signed-in pages: one live-event stream for all of them. */
function Protected({ children }: { children: ReactNode }) {
  const { user, ready } = useAuth();
  const location = useLocation();
  if (!ready) return <Splash />;
  if (!user) return <Navigate to="/login" replace state={{ from: location.pathname }} />;
  return (
    <EventsProvider key={user.id}>
      <AppShell>{children}</AppShell>
    </EventsProvider>
  );
}

function PublicOnly({ children }: { children: ReactNode }) {
  const { user, ready } = useAuth();
  const location = useLocation();
  if (!ready) return <Splash />;
  const from = (location.state as { from?: string } | null)?.from;
  if (user) return <Navigate to={from && from !== "/login" ? from : "/sessions"} replace />;
  return children;
}

/** Lets HeroUI links and buttons with `href` navigate client-side. */
function AriaRouter({ children }: { children: ReactNode }) {
  const navigate = useNavigate();
  return <RouterProvider navigate={(to) => void navigate(to)} useHref={useHref}>{children}</RouterProvider>;
}

export function App() {
  return (
    <DemoProvider>
    <AuthProvider>
      <Toast.Provider placement="bottom end" />
      <BrowserRouter>
        <AriaRouter>
        <div className="flex h-full flex-col">
        <DemoBanner />
        <div className="min-h-0 flex-1">
        <Routes>
          <Route path="/login" element={<PublicOnly><AuthPage mode="login" /></PublicOnly>} />
          <Route path="/register" element={<PublicOnly><AuthPage mode="register" /></PublicOnly>} />
          <Route path="/sessions" element={<Protected><SessionsPage /></Protected>} />
          <Route path="/sessions/:sessionId/pair" element={<Protected><PairPage /></Protected>} />
          <Route path="/sessions/:sessionId/chats/:chatId?" element={<Protected><ChatPage /></Protected>} />
          <Route path="*" element={<Navigate to="/sessions" replace />} />
        </Routes>
        </div>
        </div>
        </AriaRouter>
      </BrowserRouter>
    </AuthProvider>
    </DemoProvider>
  );
}
