/**
 * The live console in headless Chromium (Debian's `chromium`, driven by playwright-core) against
 * a real `wrangler dev` serving the built console from dist/web. One hub and one browser for the
 * file; each role gets its own browser context, as a person would open one tab per role.
 * Screenshots of every page go to test-results/ for review.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { type Browser, type BrowserContext, chromium, type Locator, type Page, type Request } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { openClient, waitForFrames } from "../e2e/helpers";
import { E2E_JWT_SECRET, type Hub, startHub } from "../support/hub-process";

const root = resolve(import.meta.dirname, "../..");
const resultsDir = join(root, "test-results");
const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--headless",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const DESKTOP = { width: 1280, height: 860 };

let hub: Hub;
let browser: Browser;
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(join(root, "dist/web/app.js"))) {
    throw new Error("dist/web is missing: run `npm run build:web` first (npm test does)");
  }
  if (!existsSync(chromiumPath)) {
    throw new Error(`no Chromium at ${chromiumPath}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  }
  mkdirSync(resultsDir, { recursive: true });
  [hub, browser] = await Promise.all([
    startHub(),
    chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS }),
  ]);
});

// A failure is easier to read with what the hub logged (errors of rooms and presence included).
beforeEach(({ onTestFailed }) => {
  onTestFailed(() => console.error(`hub output (last 6000 characters):\n${hub?.output().slice(-6_000)}`));
});

afterAll(async () => {
  await browser?.close();
  await hub?.stop();
});

// ----- helpers ---------------------------------------------------------------------------------

/** A new browser context (its own storage, as another person's browser) with one page open. */
async function newContext(viewport = DESKTOP): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport });
  context.on("page", watchErrors);
  return context;
}

function watchErrors(page: Page): void {
  page.on("pageerror", (error) => pageErrors.push(`${page.url()}: ${error.message}`));
}

/** Opens the console in `context` as the preset `as`, on `route`, and waits until it is connected. */
async function open(context: BrowserContext, as: string, route: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${hub.url}/?as=${as}#${route}`);
  await connected(page);
  return page;
}

function banner(page: Page): Locator {
  return page.getByTestId("connection");
}

async function connected(page: Page, timeout = 20_000): Promise<void> {
  await page.locator('[data-testid="connection"][data-phase="connected"]').waitFor({ timeout });
}

/** Waits until the page's room line says the room is live. */
async function roomLive(page: Page, room: string, timeout = 15_000): Promise<void> {
  await page.locator(".room-status--live", { hasText: room }).first().waitFor({ timeout });
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(resultsDir, `${name}.png`), fullPage: true, animations: "disabled" });
}

/** Inputs, selects and text areas without a label (by `<label>`, aria-label or aria-labelledby). */
async function unlabelledFields(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll("input, select, textarea")]
      .filter((field) => {
        const element = field as HTMLInputElement;
        return (
          (element.labels?.length ?? 0) === 0 &&
          !element.getAttribute("aria-label") &&
          !element.getAttribute("aria-labelledby")
        );
      })
      .map((field) => field.outerHTML.slice(0, 80)),
  );
}

function kitchenColumn(page: Page, title: string): Locator {
  return page.getByRole("region", { name: new RegExp(`^${title} \\(`) });
}

function orderCard(scope: Page | Locator, orderId: string): Locator {
  return scope.getByRole("article", { name: `Order #${orderId}` });
}

async function placeOrder(simulator: Page, order: { id: string; customer: string; items: string }): Promise<void> {
  const form = simulator.getByRole("form", { name: "Place an order" });
  await form.getByLabel("Order number").fill(order.id);
  await form.getByLabel("Customer name").fill(order.customer);
  await form.getByLabel("Items, one per line").fill(order.items);
  await form.getByLabel("Customer's user id").fill("guest-1");
  await form.getByRole("button", { name: "Place order" }).click();
  // The simulator logs the hub's answer to the broadcast.
  await simulator
    .getByRole("log", { name: /Hub answers/ })
    .getByText("delivered to restaurant-kitchen")
    .first()
    .waitFor({ timeout: 10_000 });
}

async function setStatus(simulator: Page, orderId: string, status: string): Promise<void> {
  await simulator.getByRole("button", { name: `${status} (order ${orderId})` }).click();
}

// ----- the pages -----------------------------------------------------------------------------------

describe("the live console", () => {
  let staff: BrowserContext;
  let guest: BrowserContext;
  let backend: BrowserContext;
  let admin: BrowserContext;
  let agent: BrowserContext;
  let kitchen: Page;
  let simulator: Page;
  let tracker: Page;
  let dashboard: Page;
  let support: Page;
  let agentPage: Page;

  test("is served at / by the Worker's assets, next to the hub's own routes", async () => {
    const index = await fetch(`${hub.url}/`);
    expect(index.status).toBe(200);
    expect(await index.text()).toContain('<div id="root">');
    expect((await fetch(`${hub.url}/health`)).status).toBe(200);
    const unknown = await fetch(`${hub.url}/no-such-page`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: "not_found" } });

    backend = await newContext();
    const home = await open(backend, "admin", "/");
    await home.getByRole("heading", { name: "roomcast live console" }).waitFor();
    await screenshot(home, "home");
    await home.close();
  });

  test("the kitchen page receives an order placed from the simulator, and status changes move it", async () => {
    staff = await newContext();
    kitchen = await open(staff, "kitchen", "/kitchen");
    await roomLive(kitchen, "restaurant-kitchen");
    expect(await banner(kitchen).textContent()).toContain("Kim (kitchen)");

    simulator = await open(backend, "admin", "/simulator");
    // The customer follows order 4242 before it is placed: the whole timeline reaches the tracker.
    guest = await newContext();
    tracker = await open(guest, "customer", "/order/4242");
    await roomLive(tracker, "order-4242");

    await placeOrder(simulator, { id: "4242", customer: "Dana", items: "2 x Margherita (no basil)\n1 x Lemonade" });
    const card = orderCard(kitchenColumn(kitchen, "New"), "4242");
    await card.waitFor({ timeout: 5_000 });
    const text = await card.textContent();
    expect(text).toContain("Dana");
    expect(text).toContain("2 ×");
    expect(text).toContain("Margherita");
    expect(text).toContain("no basil");
    expect(text).toContain("Status: Placed");

    await setStatus(simulator, "4242", "Preparing");
    await orderCard(kitchenColumn(kitchen, "Preparing"), "4242").waitFor({ timeout: 5_000 });
    expect(await orderCard(kitchenColumn(kitchen, "New"), "4242").count()).toBe(0);
    expect(await orderCard(kitchen, "4242").textContent()).toContain("Status: Preparing");

    await placeOrder(simulator, { id: "4243", customer: "Lee", items: "1 x Caesar salad" });
    await orderCard(kitchenColumn(kitchen, "New"), "4243").waitFor({ timeout: 5_000 });
    expect(await unlabelledFields(simulator)).toEqual([]);
    await screenshot(kitchen, "kitchen");
    await screenshot(simulator, "simulator");
  });

  test("the tracker shows a status change within a second", async () => {
    await tracker.getByTestId("current-status").filter({ hasText: "Preparing" }).waitFor({ timeout: 5_000 });
    const started = Date.now();
    await setStatus(simulator, "4242", "Ready");
    await tracker.getByTestId("current-status").filter({ hasText: "Ready" }).waitFor({ timeout: 1_000 });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(1_000);

    const timeline = tracker.getByRole("list", { name: "Status history" });
    expect(await timeline.locator("li strong").allTextContents()).toEqual(["Placed", "Preparing", "Ready"]);
    expect(await timeline.locator("li time").count()).toBe(3);
    expect(await tracker.getByRole("list", { name: "Progress" }).textContent()).toContain("Ready (current)");
    await orderCard(kitchenColumn(kitchen, "Ready"), "4242").waitFor({ timeout: 5_000 });
    await screenshot(tracker, "tracker");
    console.info(`tracker updated ${elapsed} ms after the click in the simulator`);
  });

  test("the admin dashboard lists a second browser context navigating", async () => {
    admin = await newContext();
    dashboard = await open(admin, "admin", "/admin");
    await roomLive(dashboard, "admin-dashboard");
    await dashboard.getByRole("row").filter({ hasText: "kitchen-1" }).getByText("/kitchen", { exact: true }).waitFor();

    // Another person (a custom identity from the query string) opens the console and moves around.
    const waiter = await newContext();
    const wandering = await waiter.newPage();
    await wandering.goto(`${hub.url}/?user=waiter-7&roles=staff&name=Wes#/kitchen`);
    await connected(wandering);
    const row = dashboard.getByRole("row").filter({ hasText: "waiter-7" });
    await row.getByText("/kitchen", { exact: true }).waitFor({ timeout: 5_000 });
    expect(await row.textContent()).toContain("Wes");

    const nav = wandering.getByRole("navigation", { name: "Pages" });
    await nav.getByRole("link", { name: "Admin" }).click();
    await row.getByText("/admin", { exact: true }).waitFor({ timeout: 5_000 });
    // Staff may not open the dashboard: said in words, with a way out.
    await wandering.getByRole("alert").filter({ hasText: "No access to admin-dashboard" }).waitFor({ timeout: 5_000 });
    await wandering.getByRole("button", { name: "Switch to Admin" }).waitFor();
    await nav.getByRole("link", { name: "Order tracker" }).click();
    await row.getByText("/order", { exact: true }).waitFor({ timeout: 5_000 });
    await wandering.goto(`${hub.url}/?user=waiter-7&roles=staff&name=Wes#/order/4242`);
    await row.getByText("/order/4242", { exact: true }).waitFor({ timeout: 5_000 });

    const guestRow = dashboard.getByRole("row").filter({ hasText: "guest-1" });
    await guestRow.getByText("/order/4242", { exact: true }).waitFor({ timeout: 5_000 });
    expect(await guestRow.textContent()).toContain("customer (no roles)");
    const stat = (label: string) => dashboard.locator(".stat", { hasText: label }).locator("dd");
    expect(Number(await stat("Role: kitchen").textContent())).toBe(1);
    expect(Number(await stat("Role: staff").textContent())).toBe(1);
    expect(Number(await dashboard.getByTestId("total-users").textContent())).toBeGreaterThanOrEqual(4);
    await screenshot(dashboard, "admin");

    // The tab becomes an admin (a new token and socket): waiter-7 leaves the list, the tab sees the dashboard.
    await nav.getByRole("link", { name: "Admin" }).click();
    await wandering.getByRole("button", { name: "Switch to Admin" }).click();
    await roomLive(wandering, "admin-dashboard");
    expect(new URL(wandering.url()).search).toBe("?as=admin");
    await row.waitFor({ state: "detached", timeout: 10_000 });
    await waiter.close();
  });

  test("a chat message goes from the customer to an agent and back", async () => {
    support = await guest.newPage();
    await support.goto(`${hub.url}/?as=customer#/support`);
    await connected(support);
    await roomLive(support, "support-guest-1");
    agent = await newContext();
    agentPage = await open(agent, "agent", "/agent");
    await roomLive(agentPage, "support-agents");

    await support.getByRole("textbox", { name: "Message" }).fill("Hello! Is the Margherita vegetarian?");
    await support.getByRole("textbox", { name: "Message" }).press("Enter");
    await support.getByRole("log", { name: "Messages" }).getByText("Is the Margherita vegetarian?").waitFor();

    // The agents' list updates live, then the agent opens the conversation.
    const conversation = agentPage.getByRole("link", { name: /Casey \(guest\)/ });
    await conversation.filter({ hasText: "Is the Margherita vegetarian?" }).waitFor({ timeout: 5_000 });
    expect(await conversation.textContent()).toContain("1 unread");
    await conversation.click();
    const agentLog = agentPage.getByRole("log", { name: "Messages" });
    await agentLog.getByText("Is the Margherita vegetarian?").waitFor({ timeout: 5_000 });
    await conversation.filter({ hasNotText: "unread" }).waitFor({ timeout: 5_000 });

    // Typing is shown to the customer, then the reply arrives.
    await agentPage.getByRole("textbox", { name: "Message" }).fill("Yes, it is. Enjoy!");
    await support.getByText(/is typing…/).waitFor({ timeout: 5_000 });
    await agentPage.getByRole("button", { name: "Send" }).click();
    await support.getByRole("log", { name: "Messages" }).getByText("Yes, it is. Enjoy!").waitFor({ timeout: 5_000 });
    await agentLog.getByText("Yes, it is. Enjoy!").waitFor();
    expect(await unlabelledFields(support)).toEqual([]);
    await screenshot(support, "support-customer");
    await screenshot(agentPage, "support-agent");
  });

  test("the simulator's notification reaches the customer's tabs", async () => {
    const form = simulator.getByRole("form", { name: "Notify a user" });
    await form.getByLabel("User id").fill("guest-1");
    await form.getByLabel("Title").fill("Your order is ready");
    await form.getByLabel("Text").fill("Pick it up at the counter.");
    await form.getByRole("button", { name: "Send notification" }).click();
    const toast = support.getByRole("article", { name: "Notification: Your order is ready" });
    await toast.waitFor({ timeout: 5_000 });
    await screenshot(support, "notification");
    await toast.getByRole("button", { name: /Dismiss/ }).click();
    await toast.waitFor({ state: "detached" });
  });

  test("the hub restarts mid-test: every page shows it reconnecting, then recovers and gets new events", async () => {
    const pages = [kitchen, simulator, tracker, dashboard, support, agentPage];
    const restarted = hub.restart();
    await Promise.all(
      pages.map((page) =>
        page.locator('[data-testid="connection"][data-phase="reconnecting"]').waitFor({ timeout: 20_000 }),
      ),
    );
    expect(await banner(kitchen).textContent()).toMatch(/Reconnecting.*(next try within \d+ s|trying now)/);
    await screenshot(kitchen, "kitchen-reconnecting");
    await restarted;
    await Promise.all(pages.map((page) => connected(page, 30_000)));
    await roomLive(kitchen, "restaurant-kitchen");
    await roomLive(tracker, "order-4242");

    // New events still arrive on every page.
    await setStatus(simulator, "4242", "Served");
    await tracker.getByTestId("current-status").filter({ hasText: "Served" }).waitFor({ timeout: 5_000 });
    await orderCard(kitchenColumn(kitchen, "Done"), "4242").waitFor({ timeout: 5_000 });
    await placeOrder(simulator, { id: "4244", customer: "Kai", items: "3 x Espresso" });
    await orderCard(kitchenColumn(kitchen, "New"), "4244").waitFor({ timeout: 5_000 });
    // Orders received before the restart are still on the screen.
    await orderCard(kitchenColumn(kitchen, "New"), "4243").waitFor();

    const kitchenRow = dashboard.getByRole("row").filter({ hasText: "kitchen-1" });
    await kitchenRow.getByText("/kitchen", { exact: true }).waitFor({ timeout: 10_000 });

    await support.getByRole("textbox", { name: "Message" }).fill("Thanks, see you soon");
    await support.getByRole("button", { name: "Send" }).click();
    await agentPage
      .getByRole("log", { name: "Messages" })
      .getByText("Thanks, see you soon")
      .waitFor({ timeout: 5_000 });
    await screenshot(kitchen, "kitchen-after-restart");
  }, 120_000);

  test("a tab whose browser goes offline says so, and reconnects when it is back", async () => {
    await staff.setOffline(true);
    await kitchen.locator('[data-testid="connection"][data-phase="offline"]').waitFor({ timeout: 5_000 });
    expect(await banner(kitchen).textContent()).toContain("Offline");
    await screenshot(kitchen, "kitchen-offline");
    await staff.setOffline(false);
    await connected(kitchen, 20_000);
    await setStatus(simulator, "4243", "Preparing");
    await orderCard(kitchenColumn(kitchen, "Preparing"), "4243").waitFor({ timeout: 5_000 });
  });

  test("the pages read on a phone and on a kitchen screen", async () => {
    const phone = await newContext({ width: 390, height: 844 });
    for (const [as, route, name] of [
      ["kitchen", "/kitchen", "kitchen-phone"],
      ["customer", "/order/4242", "tracker-phone"],
      ["admin", "/admin", "admin-phone"],
      ["customer", "/support", "support-phone"],
      ["admin", "/simulator", "simulator-phone"],
    ] as const) {
      const page = await open(phone, as, route);
      await page.locator(".room-status--live, .simulator").first().waitFor({ timeout: 10_000 });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `${route} is wider than a phone`).toBeLessThanOrEqual(0);
      expect(await unlabelledFields(page)).toEqual([]);
      await screenshot(page, name);
      await page.close();
    }
    await phone.close();

    const screen = await newContext({ width: 1920, height: 1080 });
    const wall = await open(screen, "kitchen", "/kitchen");
    await roomLive(wall, "restaurant-kitchen");
    await placeOrder(simulator, { id: "4245", customer: "Robin", items: "2 x Burger (medium)\n2 x Fries" });
    await orderCard(wall, "4245").waitFor({ timeout: 5_000 });
    // Big type for reading across a kitchen.
    const rootSize = await wall.evaluate(() => Number.parseFloat(getComputedStyle(document.documentElement).fontSize));
    expect(rootSize).toBeGreaterThanOrEqual(20);
    const columns = await wall.evaluate(
      () => getComputedStyle(document.querySelector(".columns") as Element).gridTemplateColumns.split(" ").length,
    );
    expect(columns).toBe(4);
    await screenshot(wall, "kitchen-screen");
    await screen.close();
  });

  test("an expiring token is replaced with a fresh one from /dev/token, and events keep coming", async () => {
    const shortLived = await newContext();
    const page = await shortLived.newPage();
    const isTokenRequest = (request: Request) =>
      request.method() === "POST" && new URL(request.url()).pathname === "/dev/token";
    const first = page.waitForRequest(isTokenRequest);
    await page.goto(`${hub.url}/?as=kitchen&ttl=10#/kitchen`);
    expect((await first).postDataJSON()).toMatchObject({ sub: "kitchen-1", roles: ["kitchen"], expiresIn: 10 });
    await connected(page);
    await roomLive(page, "restaurant-kitchen");
    // The hub closes the sockets when the token expires (4001); the client asks `auth` again.
    await page.waitForRequest(isTokenRequest, { timeout: 30_000 });
    await connected(page);
    await roomLive(page, "restaurant-kitchen");
    await placeOrder(simulator, { id: "4246", customer: "Ines", items: "1 x Tea" });
    await orderCard(page, "4246").waitFor({ timeout: 10_000 });
    await shortLived.close();
  }, 60_000);

  test("the keyboard focus is visible", async () => {
    await kitchen.bringToFront();
    await kitchen.keyboard.press("Tab");
    await kitchen.keyboard.press("Tab");
    const outline = await kitchen.evaluate(() => {
      const style = getComputedStyle(document.activeElement as Element);
      return { tag: document.activeElement?.tagName, style: style.outlineStyle, width: style.outlineWidth };
    });
    expect(outline.tag).toBe("A");
    expect(outline.style).not.toBe("none");
    expect(Number.parseFloat(outline.width)).toBeGreaterThanOrEqual(2);
  });

  test("no page threw", () => {
    expect(pageErrors).toEqual([]);
  });
});

describe("npm run token", () => {
  test("prints a token the hub accepts", async () => {
    const { stdout } = await promisify(execFile)("npm", ["run", "token", "--", "--sub", "u1", "--roles", "kitchen"], {
      cwd: root,
      env: { ...process.env, JWT_SECRET: E2E_JWT_SECRET },
    });
    const token = stdout.trim().split("\n").at(-1) ?? "";
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);

    const access = await fetch(`${hub.url}/access/restaurant-kitchen`, {
      method: "POST",
      headers: { "Content-Type": "text/plain" },
      body: token,
    });
    expect(await access.json()).toEqual({ ok: true, room: "restaurant-kitchen", userId: "u1" });

    const client = openClient(hub, "restaurant-kitchen", token);
    const [joined] = await waitForFrames(client, 1);
    expect(joined).toMatchObject({ event: "joined", data: { room: "restaurant-kitchen", userId: "u1" } });
    client.ws.close();
  });
});
