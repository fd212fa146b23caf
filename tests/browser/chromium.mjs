// The Chromium every browser script launches, and how.

import process from "node:process";

export const CHROMIUM = process.env.HINDSIGHT_CHROMIUM || "/usr/bin/chromium";

// Without the networking flags Chromium's own connections are refused on a
// closed network, which can stall start-up.
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
