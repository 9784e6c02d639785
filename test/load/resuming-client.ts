/**
 * A bare resuming subscriber for load tests: one WebSocket to one room that reconnects with
 * `since`/`epoch` after any close and records exactly what the app would see: every event in
 * order, gaps, duplicates, and failed recoveries. Deliberately independent of client/, so the
 * hub's own guarantees are what is measured.
 */
import type { Hub } from "../support/hub-process";

export interface ResumeStats {
  received: string[];
  gaps: number;
  duplicates: number;
  failedRecoveries: number;
  connects: number;
  batches: number;
}

export class ResumingClient {
  readonly stats: ResumeStats = { received: [], gaps: 0, duplicates: 0, failedRecoveries: 0, connects: 0, batches: 0 };
  private ws: WebSocket | null = null;
  private seq = 0;
  private epoch: string | null = null;
  private stopped = false;
  private joinedOnce = false;

  constructor(
    private readonly hub: Hub,
    readonly room: string,
    private readonly token: () => Promise<string>,
  ) {}

  /** Resolves once the first `joined` frame arrived. */
  async start(): Promise<void> {
    await this.open();
    const deadline = Date.now() + 60_000;
    while (!this.joinedOnce) {
      if (Date.now() > deadline) throw new Error(`${this.room}: never joined`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Drops the connection as a flaky network would; the client comes back by itself. */
  drop(): void {
    this.ws?.close(4000, "test drop");
  }

  stop(): void {
    this.stopped = true;
    this.ws?.close(1000);
  }

  private async open(): Promise<void> {
    if (this.stopped) return;
    let token: string;
    try {
      token = await this.token();
    } catch {
      return this.retry();
    }
    const resume = this.epoch ? `&since=${this.seq}&epoch=${this.epoch}` : "";
    const ws = new WebSocket(`${this.hub.wsUrl}/ws/${this.room}?token=${encodeURIComponent(token)}${resume}`);
    this.ws = ws;
    let closed = false;
    const onGone = () => {
      if (closed) return;
      closed = true;
      if (this.ws === ws) this.ws = null;
      this.retry();
    };
    ws.addEventListener("close", onGone);
    ws.addEventListener("error", onGone);
    ws.addEventListener("message", (message) => this.receive(String(message.data), ws));
  }

  private retry(): void {
    if (this.stopped) return;
    setTimeout(() => void this.open(), 100 + Math.random() * 400);
  }

  private receive(text: string, ws: WebSocket): void {
    const frame = JSON.parse(text) as { event: string; data?: unknown; seq?: number; epoch?: string };
    if (frame.event === "batch") {
      this.stats.batches++;
      for (const inner of frame.data as unknown[]) this.receive(JSON.stringify(inner), ws);
      return;
    }
    if (frame.event === "closing") {
      ws.close(1000);
      return;
    }
    if (frame.event === "joined") {
      const joined = frame.data as { seq: number; epoch: string; recovered?: boolean };
      this.stats.connects++;
      this.joinedOnce = true;
      if (joined.recovered === false) this.stats.failedRecoveries++;
      if (this.epoch === null) {
        this.epoch = joined.epoch;
        this.seq = joined.seq;
      }
      return;
    }
    if (frame.seq === undefined) return;
    if (frame.seq <= this.seq) {
      this.stats.duplicates++;
      return;
    }
    if (frame.seq !== this.seq + 1) this.stats.gaps++;
    this.seq = frame.seq;
    this.stats.received.push((frame.data as { status: string }).status);
  }
}
