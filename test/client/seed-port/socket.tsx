import { createContext, type ReactNode, useContext, useEffect, useState } from "react";
import { io, type RoomcastSocket as Socket } from "roomcast/client";

const SocketContext = createContext<Socket | null>(null);

export function SocketProvider({ url, token, children }: { url: string; token: string; children: ReactNode }) {
  const [socket, setSocket] = useState<Socket | null>(null);
  useEffect(() => {
    const s = io(url, {
      auth: { token },
      transports: ["websocket"],
      reconnection: true,
      reconnectionAttempts: 10,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 5000,
    });
    s.on("connect", () => console.info("socket connected", s.id));
    s.on("disconnect", (reason) => console.info("socket disconnected", reason));
    s.on("connect_error", (err) => console.error("socket error", err.message));
    setSocket(s);
    return () => {
      s.disconnect();
    };
  }, [url, token]);
  return <SocketContext.Provider value={socket}>{children}</SocketContext.Provider>;
}

export function useSocket(): Socket | null {
  return useContext(SocketContext);
}
