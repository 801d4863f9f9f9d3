import { Avatar, Dropdown, Label } from "@heroui/react";
import type { ReactNode } from "react";
import { NavLink } from "react-router";
import { useAuth } from "../auth/AuthProvider";
import { useStreamState } from "../events/EventsProvider";
import { PhonePanel } from "../demo/PhonePanel";
import { ConnectionBanner } from "./ConnectionBanner";
import { Icon } from "./Icon";
import { Logo } from "./Logo";
import { ThemeToggle } from "./ThemeToggle";

function LiveDot() {
  const live = useStreamState() === "open";
  return (
    <span className="hidden items-center gap-1.5 text-xs text-muted sm:inline-flex" aria-label={live ? "Live updates on" : "Live updates off"}>
      <span className={`size-2 rounded-full ${live ? "bg-success" : "bg-warning animate-pulse"}`} aria-hidden />
      {live ? "Live" : "Connecting"}
    </span>
  );
}

function UserMenu() {
  const { user, logout } = useAuth();
  const email = user?.email ?? "Account";
  return (
    <Dropdown>
      <Dropdown.Trigger aria-label={`Account menu for ${email}`} className="flex items-center gap-2 rounded-full p-1 pr-2 hover:bg-default">
        <Avatar size="sm" color="accent"><Avatar.Fallback>{email.slice(0, 2).toUpperCase()}</Avatar.Fallback></Avatar>
        <span className="hidden max-w-40 truncate text-sm md:inline">{email}</span>
      </Dropdown.Trigger>
      <Dropdown.Popover placement="bottom end">
        <Dropdown.Menu aria-label="Account" onAction={(key) => key === "logout" && void logout()}>
          <Dropdown.Item id="logout" textValue="Sign out" variant="danger">
            <Icon name="logout" className="size-4" />
            <Label>Sign out</Label>
          </Dropdown.Item>
        </Dropdown.Menu>
      </Dropdown.Popover>
    </Dropdown>
  );
}

/** Header, reconnecting banner and the page: every signed-in page sits in this frame. */
export function AppShell({ children }: { children: ReactNode }) {
  return (
    <div className="flex h-full flex-col">
      <header className="sticky top-0 z-20 border-b border-separator bg-background/80 backdrop-blur">
        <div className="mx-auto flex h-14 max-w-7xl items-center gap-4 px-4">
          <NavLink to="/sessions" aria-label="Conectafy home"><Logo /></NavLink>
          <nav aria-label="Main" className="ml-2 hidden sm:block">
            <NavLink to="/sessions" className={({ isActive }) =>
              `rounded-lg px-3 py-1.5 text-sm font-medium ${isActive ? "bg-default text-foreground" : "text-muted hover:text-foreground"}`}>
              Numbers
            </NavLink>
          </nav>
          <div className="ml-auto flex items-center gap-2">
            <LiveDot />
            <ThemeToggle />
            <UserMenu />
          </div>
        </div>
        <ConnectionBanner />
      </header>
      <div className="min-h-0 flex-1">{children}</div>
      <PhonePanel />
    </div>
  );
}
