import { useCallback, useState } from "react";
import type { Notification } from "../../client";
import { useNotifications } from "../../client/react";
import { formatTime } from "../orders";

interface Shown {
  key: string;
  id: string | undefined;
  notification: Notification;
  at: number;
}

/**
 * Notifications sent to this tab's user (`user-{id}`), newest first. The hub keeps unread ones and
 * sends them again on the next connect; dismissing one marks it read.
 */
export function Notifications() {
  const [shown, setShown] = useState<Shown[]>([]);
  const { markRead } = useNotifications((notification) => {
    setShown((current) => {
      if (notification.id && current.some((entry) => entry.id === notification.id)) return current;
      const key = notification.id ?? `${Date.now()}-${current.length}`;
      return [{ key, id: notification.id, notification, at: Date.now() }, ...current].slice(0, 5);
    });
  });
  const dismiss = useCallback(
    (entry: Shown) => {
      setShown((current) => current.filter((other) => other.key !== entry.key));
      // Read ones are not delivered again; if this fails, the notification simply comes back later.
      if (entry.id) markRead(entry.id).catch(() => {});
    },
    [markRead],
  );
  return (
    <section className="toasts" aria-label="Notifications" aria-live="polite">
      {shown.map((entry) => (
        <article key={entry.key} className="toast" aria-label={`Notification: ${entry.notification.title}`}>
          <h2 className="toast-title">
            {entry.notification.type ? <span className="tag">{entry.notification.type}</span> : null}
            {entry.notification.title}
          </h2>
          {entry.notification.body && <p>{entry.notification.body}</p>}
          <p className="muted">
            <time dateTime={new Date(entry.at).toISOString()}>{formatTime(entry.at)}</time>
            {safeLink(entry.notification.link) && (
              <>
                {" · "}
                <a href={safeLink(entry.notification.link) ?? undefined}>Open</a>
              </>
            )}
          </p>
          <button type="button" onClick={() => dismiss(entry)}>
            Dismiss<span className="sr-only"> {entry.notification.title}</span>
          </button>
        </article>
      ))}
    </section>
  );
}

/** Only web and in-app links: a `javascript:` link in a notification must not become clickable. */
function safeLink(link: string | undefined): string | null {
  if (!link) return null;
  return /^(https?:\/\/|\/(?!\/)|#)/i.test(link) ? link : null;
}
