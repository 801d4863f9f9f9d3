import { createContext, useContext, useEffect, useState, type ReactNode } from "react";
import { demoApi, type DemoPublic } from "./demoApi";

const DemoContext = createContext<DemoPublic | null>(null);

/** Asks the API once whether it runs as `conectafy demo`; everything demo-only reads this. */
export function DemoProvider({ children }: { children: ReactNode }) {
  const [demo, setDemo] = useState<DemoPublic | null>(null);
  useEffect(() => {
    let live = true;
    demoApi.info().then((info) => live && setDemo(info), () => live && setDemo(null));
    return () => {
      live = false;
    };
  }, []);
  return <DemoContext.Provider value={demo}>{children}</DemoContext.Provider>;
}

/** The demo's facts, or null on a real deployment. */
export function useDemo(): DemoPublic | null {
  return useContext(DemoContext);
}
