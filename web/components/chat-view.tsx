import { type FormEvent, type KeyboardEvent, useEffect, useId, useRef, useState } from "react";
import { type ChatMessage, RoomcastError } from "../../client";
import type { SupportChat } from "../../client/react";
import { formatTime } from "../orders";

/** Stop saying "typing" after this long without a keystroke. */
const TYPING_IDLE_MS = 3_000;

/**
 * One support conversation: the messages, who is typing, and a composer. Shared by the customer's
 * and the agent's views.
 */
export function ChatView(props: {
  chat: SupportChat;
  me: string;
  /** Name for a typing user id whose messages were not seen yet. */
  unknownTyper: string;
  title: string;
}) {
  const { chat, me } = props;
  const names = new Map<string, string>();
  for (const message of chat.messages) if (message.author.name) names.set(message.author.id, message.author.name);
  const typers = chat.typing
    .filter((user) => user.userId !== me)
    .map((user) => user.name ?? names.get(user.userId) ?? props.unknownTyper);
  const logRef = useRef<HTMLOListElement>(null);
  const lastId = chat.messages[chat.messages.length - 1]?.id;
  const [older, setOlder] = useState<"idle" | "loading" | "failed">("idle");

  // biome-ignore lint/correctness/useExhaustiveDependencies: scroll to the newest message when one arrives
  useEffect(() => {
    const log = logRef.current;
    if (log) log.scrollTop = log.scrollHeight;
  }, [lastId]);

  const loadOlder = () => {
    setOlder("loading");
    chat.loadOlder().then(
      () => setOlder("idle"),
      () => setOlder("failed"),
    );
  };

  return (
    <section className="chat panel" aria-label={props.title}>
      {chat.hasMore && (
        <p>
          <button type="button" className="link" onClick={loadOlder} disabled={older === "loading" || !chat.joined}>
            {older === "loading" ? "Loading older messages…" : "Load older messages"}
          </button>
          {older === "failed" && <span role="alert"> Could not load older messages.</span>}
        </p>
      )}
      <ol className="messages" ref={logRef} role="log" aria-live="polite" aria-label="Messages">
        {chat.messages.length === 0 && (
          <li className="muted">{chat.loaded ? "No messages yet." : "Loading the conversation…"}</li>
        )}
        {chat.messages.map((message) => (
          <MessageItem key={message.id} message={message} me={me} />
        ))}
      </ol>
      <p className="typing" aria-live="polite">
        {typers.length > 0 ? `${typers.join(", ")} ${typers.length > 1 ? "are" : "is"} typing…` : "\u00a0"}
      </p>
      <Composer chat={chat} />
    </section>
  );
}

function MessageItem({ message, me }: { message: ChatMessage; me: string }) {
  const mine = message.author.id === me;
  const who = mine ? "You" : (message.author.name ?? message.author.id);
  const role = message.author.role;
  return (
    <li className={`message ${mine ? "message--mine" : "message--theirs"}`}>
      <p className="message-meta">
        <strong>{who}</strong>
        <span className="tag">{role}</span>
        <time dateTime={message.createdAt}>{formatTime(Date.parse(message.createdAt))}</time>
      </p>
      <p className="message-text">{message.text}</p>
    </li>
  );
}

function Composer({ chat }: { chat: SupportChat }) {
  const [text, setText] = useState("");
  const [sending, setSending] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const typingRef = useRef(false);
  const idleRef = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const inputId = useId();
  const { setTyping } = chat;

  const stopTyping = () => {
    clearTimeout(idleRef.current);
    if (typingRef.current) {
      typingRef.current = false;
      setTyping(false);
    }
  };
  // Leaving the conversation ends the hint.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on unmount only
  useEffect(() => stopTyping, []);

  const onChange = (value: string) => {
    setText(value);
    if (!chat.joined) return;
    if (value.trim() === "") {
      stopTyping();
      return;
    }
    if (!typingRef.current) {
      typingRef.current = true;
      setTyping(true);
    }
    clearTimeout(idleRef.current);
    idleRef.current = setTimeout(stopTyping, TYPING_IDLE_MS);
  };

  const send = async (event?: FormEvent) => {
    event?.preventDefault();
    const message = text.trim();
    if (!message || sending) return;
    setSending(true);
    setProblem(null);
    stopTyping();
    try {
      await chat.send(message);
      setText("");
    } catch (error) {
      setProblem(error instanceof RoomcastError ? `${error.code}: ${error.message}` : String(error));
    } finally {
      setSending(false);
    }
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      void send();
    }
  };

  return (
    <form className="composer" onSubmit={send}>
      <label className="composer-label" htmlFor={inputId}>
        Message
      </label>
      <div className="composer-row">
        <textarea
          id={inputId}
          rows={2}
          maxLength={2000}
          value={text}
          onChange={(event) => onChange(event.target.value)}
          onKeyDown={onKeyDown}
          onBlur={stopTyping}
          aria-describedby={`${inputId}-hint`}
        />
        <button type="submit" disabled={sending || !chat.joined || text.trim() === ""}>
          {sending ? "Sending…" : "Send"}
        </button>
      </div>
      <p id={`${inputId}-hint`} className="muted small">
        Enter sends, Shift+Enter starts a new line.{!chat.joined && " Waiting for the chat room…"}
      </p>
      {problem && (
        <p className="notice notice--error" role="alert">
          Not sent: {problem}
        </p>
      )}
    </form>
  );
}
