/**
 * Liveness of one open socket. A half-open TCP connection (common on mobile networks) looks open
 * forever; only a missing answer to a heartbeat reveals it.
 */
import { HEARTBEAT_FRAME } from "../src/protocol.js";

export interface HeartbeatOptions {
  /** 0 turns heartbeats off. */
  intervalMs: number;
  timeoutMs: number;
  send: (frame: string) => void;
  /** Called once when an answer did not come in time. */
  onTimeout: () => void;
}

export class Heartbeat {
  private readonly options: HeartbeatOptions;
  private interval: ReturnType<typeof setInterval> | undefined;
  private deadline: ReturnType<typeof setTimeout> | undefined;

  constructor(options: HeartbeatOptions) {
    this.options = options;
  }

  start(): void {
    this.stop();
    if (this.options.intervalMs <= 0) return;
    this.interval = setInterval(() => this.beat(), this.options.intervalMs);
  }

  /** The hub answered. */
  acknowledge(): void {
    clearTimeout(this.deadline);
    this.deadline = undefined;
  }

  stop(): void {
    clearInterval(this.interval);
    clearTimeout(this.deadline);
    this.interval = undefined;
    this.deadline = undefined;
  }

  private beat(): void {
    // One outstanding heartbeat at a time: its deadline is what detects the dead connection.
    if (this.deadline !== undefined) return;
    this.deadline = setTimeout(() => {
      this.stop();
      this.options.onTimeout();
    }, this.options.timeoutMs);
    this.options.send(HEARTBEAT_FRAME);
  }
}
