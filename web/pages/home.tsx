import { useConsole } from "../console-context";
import { describeIdentity, PRESET_LABELS, type PresetId } from "../identity";

const PAGES: { route: string; title: string; as: PresetId; what: string }[] = [
  {
    route: "/kitchen",
    title: "Kitchen display",
    as: "kitchen",
    what: "New orders appear as cards; status changes move them between New, Preparing, Ready and Done.",
  },
  {
    route: "/order/1001",
    title: "Order tracker",
    as: "customer",
    what: "One order's current status and its timeline. A customer gets access through a backend grant.",
  },
  {
    route: "/admin",
    title: "Admin dashboard",
    as: "admin",
    what: "Who is online, on which page, with counts by role, updating live.",
  },
  { route: "/support", title: "Support chat", as: "customer", what: "The customer's conversation with support." },
  {
    route: "/agent",
    title: "Support agent",
    as: "agent",
    what: "Every conversation, updating live, and the selected one to answer.",
  },
  {
    route: "/simulator",
    title: "Backend simulator",
    as: "admin",
    what: "Plays the restaurant's backend: places orders, changes statuses, sends notifications.",
  },
];

export function HomePage() {
  const { identity } = useConsole();
  return (
    <div className="home">
      <h1>roomcast live console</h1>
      <p>
        Each page below is a client of this hub. Open them in separate tabs, each as a different person: a tab keeps its
        identity (you are {describeIdentity(identity)}), and the links open a new tab as the role that page is for.
        Start with the simulator and the kitchen side by side.
      </p>
      <ul className="page-list">
        {PAGES.map((page) => (
          <li key={page.route} className="panel">
            <h2>
              <a href={`#${page.route}`}>{page.title}</a>
            </h2>
            <p>{page.what}</p>
            <p>
              <a href={`/?as=${page.as}#${page.route}`} target="_blank" rel="noopener">
                Open as {PRESET_LABELS[page.as]} in a new tab
              </a>
            </p>
          </li>
        ))}
      </ul>
      <section className="panel">
        <h2>Identities</h2>
        <p>
          Tokens come from <code>POST /dev/token</code>, which exists only while the hub runs with{" "}
          <code>ENVIRONMENT=development</code>. Pick a preset with <code>?as=kitchen</code>, <code>customer</code>,{" "}
          <code>admin</code> or <code>agent</code>, or any user with{" "}
          <code>?user=guest-2&amp;roles=staff,pool&amp;name=Jo</code>. Add <code>&amp;ttl=30</code> to watch a token
          expire and be replaced.
        </p>
      </section>
    </div>
  );
}
