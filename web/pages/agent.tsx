import { useEffect, useRef, useState } from "react";
import type { ConversationSummary } from "../../client";
import { useRoom, useSupportChat } from "../../client/react";
import { AccessProblem } from "../components/access-problem";
import { ChatView } from "../components/chat-view";
import { RoomStatusLine } from "../components/room-status";
import { useNow } from "../components/use-now";
import { useConsole } from "../console-context";
import { ago } from "../orders";
import { navigate } from "../router";

type Conversations = Record<string, ConversationSummary>;

function merge(current: Conversations, list: ConversationSummary[]): Conversations {
  const next = { ...current };
  for (const conversation of list) {
    if (typeof conversation?.userId !== "string") continue;
    const known = next[conversation.userId];
    if (!known || known.cursor <= conversation.cursor) next[conversation.userId] = conversation;
  }
  return next;
}

function without(current: Conversations, userId: string): Conversations {
  const { [userId]: _removed, ...rest } = current;
  return rest;
}

/** The agents' side: every conversation (from `support-agents`), and the one selected. */
export function AgentPage(props: { userId: string | null }) {
  const [conversations, setConversations] = useState<Conversations>({});
  const status = useRoom("support-agents", {
    "support:conversations": (page) => setConversations((current) => merge(current, page.conversations ?? [])),
    "support:conversation-updated": (summary) => setConversations((current) => merge(current, [summary])),
    "support:conversation-removed": ({ userId }) => setConversations((current) => without(current, userId)),
  });
  const now = useNow(5000);
  const list = Object.values(conversations).sort((a, b) => b.cursor - a.cursor);
  const selected = props.userId;

  return (
    <div className="agent">
      <div className="page-head">
        <h1>Support agent</h1>
        <RoomStatusLine room="support-agents" status={status} label="Conversations from" />
      </div>
      {status.error && <AccessProblem room="support-agents" error={status.error} suggest="agent" />}
      <div className="agent-layout">
        <nav className="panel conversations" aria-labelledby="conversations-heading">
          <h2 id="conversations-heading">Conversations ({list.length})</h2>
          {list.length === 0 && <p className="muted">No conversations yet. A customer starts one from Support.</p>}
          <ul className="conversation-list">
            {list.map((conversation) => {
              const name = conversation.customerName ?? conversation.userId;
              const unread = conversation.unreadForAgents;
              return (
                <li key={conversation.userId}>
                  <a
                    href={`#/agent/${encodeURIComponent(conversation.userId)}`}
                    className="conversation"
                    aria-current={conversation.userId === selected ? "page" : undefined}
                    data-user-id={conversation.userId}
                  >
                    <span className="conversation-name">
                      {name}
                      {unread > 0 && <span className="badge">{unread} unread</span>}
                    </span>
                    <span className="conversation-last">
                      {conversation.lastMessage?.author?.role === "customer" ? "" : "Agent: "}
                      {conversation.lastMessage?.text}
                    </span>
                    <span className="muted small">{ago(Date.parse(conversation.updatedAt), now)}</span>
                  </a>
                </li>
              );
            })}
          </ul>
        </nav>
        {selected ? (
          <Conversation key={selected} userId={selected} name={conversations[selected]?.customerName ?? selected} />
        ) : (
          <div className="panel muted">Select a conversation.</div>
        )}
      </div>
    </div>
  );
}

function Conversation({ userId, name }: { userId: string; name: string }) {
  const { identity } = useConsole();
  const chat = useSupportChat(userId);
  const lastSeq = chat.messages[chat.messages.length - 1]?.seq ?? 0;
  const readRef = useRef(0);
  const { joined, markRead } = chat;

  // What an agent has on screen is read: the conversation's unread count for agents drops.
  useEffect(() => {
    if (!joined || lastSeq <= readRef.current) return;
    readRef.current = lastSeq;
    markRead(lastSeq).catch(() => {
      readRef.current = 0;
    });
  }, [joined, lastSeq, markRead]);

  return (
    <div className="conversation-pane">
      <h2>
        Conversation with {name}{" "}
        <button type="button" className="link" onClick={() => navigate("/agent")}>
          Close
        </button>
      </h2>
      <RoomStatusLine room={chat.room} status={chat} label="Room" />
      {chat.error && chat.room && <AccessProblem room={chat.room} error={chat.error} suggest="agent" />}
      <ChatView chat={chat} me={identity.sub} unknownTyper={name} title={`Conversation with ${name}`} />
    </div>
  );
}
