import { useLiveUsers } from "../../client/react";
import { AccessProblem } from "../components/access-problem";
import { RoomStatusLine } from "../components/room-status";
import { useNow } from "../components/use-now";
import { ago } from "../orders";

/** Who is online and on which page, pushed by the hub to `admin-dashboard`. */
export function AdminPage() {
  const live = useLiveUsers();
  const now = useNow(1000);
  const roles = Object.entries(live.byRole).sort(([a], [b]) => a.localeCompare(b));

  return (
    <div className="admin">
      <div className="page-head">
        <h1>Admin dashboard</h1>
        <RoomStatusLine room="admin-dashboard" status={live} label="Live users from" />
      </div>
      {live.error && <AccessProblem room="admin-dashboard" error={live.error} suggest="admin" />}

      <section aria-labelledby="totals-heading">
        <h2 id="totals-heading">Online now</h2>
        <dl className="stats">
          <div className="stat">
            <dt>Users</dt>
            <dd data-testid="total-users">{live.total}</dd>
          </div>
          <div className="stat">
            <dt>Connections</dt>
            <dd>{live.connections}</dd>
          </div>
          {roles.map(([role, count]) => (
            <div className="stat" key={role}>
              <dt>Role: {role}</dt>
              <dd>{count}</dd>
            </div>
          ))}
        </dl>
        <p className="muted">
          {live.receivedAt ? `Updated ${ago(live.receivedAt, now)}.` : "Waiting for the first update."}
          {live.truncated && ` Showing the ${live.users.length} most recently active of ${live.total}.`}
        </p>
      </section>

      <section aria-labelledby="users-heading">
        <h2 id="users-heading">Live users</h2>
        <div className="table-scroll">
          <table className="users">
            <caption className="sr-only">Users online, most recently active first</caption>
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Roles</th>
                <th scope="col">Page</th>
                <th scope="col">Connections</th>
                <th scope="col">Last seen</th>
              </tr>
            </thead>
            <tbody>
              {live.users.length === 0 && (
                <tr>
                  <td colSpan={5} className="muted">
                    Nobody online yet.
                  </td>
                </tr>
              )}
              {live.users.map((user) => (
                <tr key={user.userId} data-user-id={user.userId}>
                  <th scope="row">
                    {user.name ?? user.userId}
                    {user.name && <span className="muted"> ({user.userId})</span>}
                  </th>
                  <td>{user.roles.length > 0 ? user.roles.join(", ") : "customer (no roles)"}</td>
                  <td>
                    <code>{user.path ?? "—"}</code>
                  </td>
                  <td>{user.connections}</td>
                  <td>{ago(user.lastSeenAt, now)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </div>
  );
}
