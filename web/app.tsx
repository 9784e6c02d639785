import { type ReactNode, useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { RoomcastError, RoomcastSocket } from "../client";
import { RoomcastProvider, usePagePresence, useSocket } from "../client/react";
import { ConnectionBanner } from "./components/connection-banner";
import { Notifications } from "./components/notifications";
import { ConnectionTracker } from "./connection";
import { ConsoleContext, type ConsoleContextValue } from "./console-context";
import { DevRoutesMissingError, devTokenSource } from "./dev-api";
import {
  describeIdentity,
  type Identity,
  identityKey,
  isPreset,
  PRESET_LABELS,
  PRESETS,
  type PresetId,
  presetIdentity,
  queryFor,
  resolveIdentity,
  saveIdentity,
} from "./identity";
import { AdminPage } from "./pages/admin";
import { AgentPage } from "./pages/agent";
import { HomePage } from "./pages/home";
import { KitchenPage } from "./pages/kitchen";
import { SimulatorPage } from "./pages/simulator";
import { SupportPage } from "./pages/support";
import { TrackerPage } from "./pages/tracker";
import { PAGE_TITLES, parseRoute, type Route, useHash } from "./router";

/**
 * Reconnect delays of the console's socket: a local hub comes back within seconds, so the
 * console retries between 1 and 5 s instead of the client's default cap of 10 s.
 */
const BACKOFF = { minDelayMs: 1_000, maxDelayMs: 5_000 } as const;

/** Token lifetime from `?ttl=` (10 s to 24 h), to watch the client refresh a token. */
function ttlFromQuery(search: string): number | undefined {
  const ttl = Number(new URLSearchParams(search).get("ttl"));
  return Number.isInteger(ttl) && ttl >= 10 && ttl <= 86_400 ? ttl : undefined;
}

export function App() {
  const route = parseRoute(useHash());
  const [identity, setIdentity] = useState<Identity>(() => resolveIdentity(window.location.search, route));
  const switchTo = useCallback((preset: PresetId) => {
    const next = presetIdentity(preset);
    saveIdentity(next);
    const query = new URLSearchParams(window.location.search);
    const ttl = query.get("ttl");
    window.history.replaceState(null, "", `${queryFor(next)}${ttl ? `&ttl=${ttl}` : ""}${window.location.hash}`);
    setIdentity(next);
  }, []);
  // A new identity is a new session: new token, new socket, fresh page state.
  return <Session key={identityKey(identity)} identity={identity} route={route} switchTo={switchTo} />;
}

function Session(props: { identity: Identity; route: Route; switchTo: (preset: PresetId) => void }) {
  const { identity, route, switchTo } = props;
  const auth = useMemo(() => devTokenSource(identity, ttlFromQuery(window.location.search)), [identity]);
  const socket = useSocket(window.location.origin, {
    auth,
    minReconnectionDelayMs: BACKOFF.minDelayMs,
    maxReconnectionDelayMs: BACKOFF.maxDelayMs,
  });
  const tracker = useMemo(() => new ConnectionTracker(socket), [socket]);
  useEffect(() => tracker.start(), [tracker]);
  useStopWithoutDevRoutes(socket, tracker);

  useEffect(() => {
    document.title = `${PAGE_TITLES[route.page]} · roomcast console`;
  }, [route.page]);

  const context = useMemo<ConsoleContextValue>(() => ({ identity, switchTo }), [identity, switchTo]);
  return (
    <ConsoleContext.Provider value={context}>
      <RoomcastProvider socket={socket}>
        {/* A button, not a link: a "#main" link would change the hash route. */}
        <button type="button" className="skip-link" onClick={focusMain}>
          Skip to content
        </button>
        <Header route={route} identity={identity} switchTo={switchTo} />
        <ConnectionBanner tracker={tracker} who={describeIdentity(identity)} />
        <PagePresence path={route.path} />
        <Notifications />
        <Main route={route}>{pageFor(route)}</Main>
      </RoomcastProvider>
    </ConsoleContext.Provider>
  );
}

function focusMain() {
  document.getElementById("main")?.focus();
}

/** Moves focus to the new page after a route change, so keyboard and screen reader users land on it. */
function Main(props: { route: Route; children: ReactNode }) {
  const ref = useRef<HTMLElement>(null);
  const first = useRef(true);
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on every route change
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    ref.current?.focus();
  }, [props.route.path]);
  return (
    <main id="main" ref={ref} tabIndex={-1} className={`page page--${props.route.page}`}>
      {props.children}
    </main>
  );
}

function pageFor(route: Route): ReactNode {
  switch (route.page) {
    case "home":
      return <HomePage />;
    case "kitchen":
      return <KitchenPage />;
    case "order":
      return <TrackerPage orderId={route.orderId} />;
    case "admin":
      return <AdminPage />;
    case "support":
      return <SupportPage />;
    case "agent":
      return <AgentPage userId={route.userId} />;
    case "simulator":
      return <SimulatorPage />;
    default:
      return (
        <div>
          <h1>Not found</h1>
          <p>
            No page at <code>{route.path}</code>. <a href="#/">Back to the console</a>.
          </p>
        </div>
      );
  }
}

const NAV: { href: string; label: string; page: Route["page"] }[] = [
  { href: "#/kitchen", label: "Kitchen", page: "kitchen" },
  { href: "#/order", label: "Order tracker", page: "order" },
  { href: "#/admin", label: "Admin", page: "admin" },
  { href: "#/support", label: "Support", page: "support" },
  { href: "#/agent", label: "Agent", page: "agent" },
  { href: "#/simulator", label: "Simulator", page: "simulator" },
];

function Header(props: { route: Route; identity: Identity; switchTo: (preset: PresetId) => void }) {
  const { identity } = props;
  const current = identity.preset && isPreset(identity.preset) ? identity.preset : "";
  return (
    <header className="top">
      <a className="brand" href="#/">
        roomcast <span>console</span>
      </a>
      <nav aria-label="Pages">
        <ul>
          {NAV.map((item) => (
            <li key={item.page}>
              <a href={item.href} aria-current={props.route.page === item.page ? "page" : undefined}>
                {item.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <div className="who">
        <label htmlFor="identity">You are</label>
        <select
          id="identity"
          value={current}
          onChange={(event) => {
            if (isPreset(event.target.value)) props.switchTo(event.target.value);
          }}
        >
          {!current && <option value="">{identity.name} (custom)</option>}
          {(Object.keys(PRESETS) as PresetId[]).map((preset) => (
            <option key={preset} value={preset}>
              {PRESET_LABELS[preset]}: {PRESETS[preset].name}
            </option>
          ))}
        </select>
      </div>
    </header>
  );
}

/**
 * Every route change is reported to the hub (`page:navigate` on the personal room), and the
 * current route again after every reconnect, so the admin dashboard shows where each tab is.
 */
function PagePresence(props: { path: string }) {
  usePagePresence(props.path);
  return null;
}

/** Without development routes there are no tokens: say so and stop retrying. */
function useStopWithoutDevRoutes(socket: RoomcastSocket, tracker: ConnectionTracker): void {
  useEffect(() => {
    const onError = (error: RoomcastError) => {
      if (!(error.cause instanceof DevRoutesMissingError)) return;
      socket.disconnect();
      tracker.stop(error.cause.message);
    };
    return socket.listen({ connect_error: onError });
  }, [socket, tracker]);
}
