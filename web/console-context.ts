import { createContext, useContext } from "react";
import type { Identity, PresetId } from "./identity";

export interface ConsoleContextValue {
  identity: Identity;
  /** Becomes another identity (a new socket, new token). */
  switchTo(preset: PresetId): void;
}

export const ConsoleContext = createContext<ConsoleContextValue | null>(null);

export function useConsole(): ConsoleContextValue {
  const value = useContext(ConsoleContext);
  if (!value) throw new Error("console pages need the ConsoleContext");
  return value;
}
