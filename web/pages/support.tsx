import { useSupportChat } from "../../client/react";
import { AccessProblem } from "../components/access-problem";
import { ChatView } from "../components/chat-view";
import { RoomStatusLine } from "../components/room-status";
import { useConsole } from "../console-context";

/** The customer's side of support: their own conversation, `support-{their id}`. */
export function SupportPage() {
  const { identity } = useConsole();
  const chat = useSupportChat(identity.sub);
  return (
    <div className="support">
      <div className="page-head">
        <h1>Support chat</h1>
        <RoomStatusLine room={chat.room} status={chat} label="Conversation" />
      </div>
      <p className="muted">
        You write as {identity.name}. Agents answer from the <a href="#/agent">agent view</a> (open it in another tab as
        a support agent).
      </p>
      {chat.error && chat.room && <AccessProblem room={chat.room} error={chat.error} suggest="customer" />}
      <ChatView chat={chat} me={identity.sub} unknownTyper="An agent" title="Conversation with support" />
    </div>
  );
}
