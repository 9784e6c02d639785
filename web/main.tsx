/**
 * The live console: a small web app served by the hub's Worker as static assets (built by
 * scripts/build-web.mjs into dist/web), showing the hub at work through the client library.
 */
import "./styles.css";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./app";

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
